#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "store/maildir.h"
#include "unit.h"

static char *top;

static void
setup(void)
{
	top = unit_tmpdir();
	ck_assert_ptr_nonnull(top);
}

static void
teardown(void)
{
	unit_rm_rf(top);
}

/* "top/rel" in a static buffer (two alternating, for two at once). */
static const char *
path(const char *rel)
{
	static char p[2][4096];
	static int i;

	i = !i;
	snprintf(p[i], sizeof(p[i]), "%s/%s", top, rel);
	return p[i];
}

static int
count(const char *rel)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if ((d = opendir(path(rel))) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
is_dir(const char *rel, mode_t *mode_r)
{
	struct stat st;

	if (stat(path(rel), &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if (mode_r != NULL)
		*mode_r = st.st_mode & 07777;
	return 1;
}

/* A readable fd holding p[0..n): an unlinked temporary file. */
static int
input(const void *p, size_t n)
{
	char t[4096];
	int fd;

	snprintf(t, sizeof(t), "%s/input.XXXXXX", top);
	fd = mkstemp(t);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(unlink(t), 0);
	ck_assert_int_eq(write_all(fd, p, n), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Deliver s into top/rel; returns the result, content of the file in out. */
static int
deliver(const char *rel, const void *msg, size_t n,
    const struct maildir_delivery *d, struct buf *out)
{
	struct buf name = BUF_INIT, file = BUF_INIT;
	char p[4096];
	int fd, r, save;

	fd = input(msg, n);
	r = maildir_deliver(path(rel), fd, d, &name);
	save = errno;
	close(fd);
	if (r == 0 && out != NULL) {
		ck_assert_uint_gt(name.len, 0);
		ck_assert_ptr_null(strchr(name.s, '/'));
		snprintf(p, sizeof(p), "%s/%s/new/%s", top, rel, name.s);
		buf_reset(out);
		ck_assert_int_eq(read_file(p, out, 1 << 30), 0);
	}
	buf_free(&name);
	buf_free(&file);
	errno = save;
	return r;
}

static const char msg[] = "Subject: hi\n\nbody\n";

START_TEST(t_deliver_basic)
{
	struct maildir_delivery d = { "a@example.org", "b@example.net", 0 };
	struct buf out = BUF_INIT, name = BUF_INIT;
	struct stat st;
	char p[4096];
	int fd;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	ck_assert_int_eq(deliver("M", msg, strlen(msg), &d, &out), 0);
	ck_assert_str_eq(out.s, "Return-Path: <a@example.org>\n"
	    "Delivered-To: b@example.net\n" "Subject: hi\n\nbody\n");
	ck_assert_int_eq(count("M/new"), 1);
	ck_assert_int_eq(count("M/tmp"), 0);
	ck_assert_int_eq(count("M/cur"), 0);

	/* the name handed back is the file in new/, mode 0600 */
	fd = input(msg, strlen(msg));
	ck_assert_int_eq(maildir_deliver(path("M"), fd, &d, &name), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/M/new/%s", top, name.s);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(count("M/new"), 2);
	ck_assert_int_eq(count("M/tmp"), 0);
	/* the unique name in the Maildir form */
	ck_assert_ptr_nonnull(strstr(name.s, ".M"));
	ck_assert_ptr_nonnull(strchr(name.s, 'P'));
	ck_assert_ptr_null(strchr(name.s, ':'));
	buf_free(&out);
	buf_free(&name);
}
END_TEST

START_TEST(t_deliver_headers)
{
	struct maildir_delivery none = { NULL, NULL, 0 };
	struct maildir_delivery null = { "", NULL, 0 };
	struct maildir_delivery dto = { NULL, "x@y", 0 };
	struct maildir_delivery both = { "s@x", "r@y", 0 };
	struct buf out = BUF_INIT;
	const char crlf[] = "Subject: hi\r\n\r\nbody\r\n";

	ck_assert_int_eq(maildir_make(path("M")), 0);
	ck_assert_int_eq(deliver("M", msg, strlen(msg), &none, &out), 0);
	ck_assert_str_eq(out.s, msg);
	ck_assert_int_eq(deliver("M", msg, strlen(msg), &null, &out), 0);
	ck_assert_str_eq(out.s, "Return-Path: <>\nSubject: hi\n\nbody\n");
	ck_assert_int_eq(deliver("M", msg, strlen(msg), &dto, &out), 0);
	ck_assert_str_eq(out.s, "Delivered-To: x@y\nSubject: hi\n\nbody\n");
	/* CRLF message: the added fields end in CRLF too, the rest kept */
	ck_assert_int_eq(deliver("M", crlf, strlen(crlf), &both, &out), 0);
	ck_assert_str_eq(out.s, "Return-Path: <s@x>\r\nDelivered-To: r@y\r\n"
	    "Subject: hi\r\n\r\nbody\r\n");
	/* an empty message: the fields alone */
	ck_assert_int_eq(deliver("M", "", 0, &both, &out), 0);
	ck_assert_str_eq(out.s, "Return-Path: <s@x>\nDelivered-To: r@y\n");
	ck_assert_int_eq(deliver("M", "", 0, &none, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	/* a NULL delivery: no fields */
	ck_assert_int_eq(deliver("M", msg, strlen(msg), NULL, &out), 0);
	ck_assert_str_eq(out.s, msg);
	/* no line ending at all */
	ck_assert_int_eq(deliver("M", "x", 1, &dto, &out), 0);
	ck_assert_str_eq(out.s, "Delivered-To: x@y\nx");
	/* 8-bit addresses (SMTPUTF8) are kept */
	dto.delivered_to = "j\xc3\xb6rg@example.org";
	ck_assert_int_eq(deliver("M", msg, strlen(msg), &dto, &out), 0);
	ck_assert_int_eq(strncmp(out.s, "Delivered-To: j\xc3\xb6rg@example.org\n",
	    32), 0);
	ck_assert_int_eq(count("M/new"), 9);
	ck_assert_int_eq(count("M/tmp"), 0);
	buf_free(&out);
}
END_TEST

START_TEST(t_deliver_bad_fields)
{
	static const char *bad[] = { "a\r\nX: y", "a\n", "a\rb", "\t", "a\x7f",
	    "\x01", NULL };
	struct maildir_delivery d = { NULL, NULL, 0 };
	size_t i;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	for (i = 0; bad[i] != NULL; i++) {
		d.return_path = bad[i];
		d.delivered_to = NULL;
		errno = 0;
		ck_assert_int_eq(deliver("M", msg, strlen(msg), &d, NULL), -1);
		ck_assert_int_eq(errno, EINVAL);
		d.return_path = "ok@x";
		d.delivered_to = bad[i];
		ck_assert_int_eq(deliver("M", msg, strlen(msg), &d, NULL), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(count("M/new"), 0);
	ck_assert_int_eq(count("M/tmp"), 0);
}
END_TEST

START_TEST(t_deliver_maxsize)
{
	struct maildir_delivery d = { "a@b", "c@d", 0 };
	struct buf out = BUF_INIT, big = BUF_INIT;
	size_t len = strlen(msg), i;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	/* exactly maxsize: delivered; the added fields do not count */
	d.maxsize = len;
	ck_assert_int_eq(deliver("M", msg, len, &d, &out), 0);
	ck_assert_int_eq(count("M/new"), 1);
	/* one byte over */
	d.maxsize = len - 1;
	errno = 0;
	ck_assert_int_eq(deliver("M", msg, len, &d, NULL), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(count("M/new"), 1);
	ck_assert_int_eq(count("M/tmp"), 0);
	/* far over, past several blocks */
	for (i = 0; i < 300000; i++)
		ck_assert_int_eq(buf_putc(&big, 'a' + (int)(i % 26)), 0);
	d.maxsize = 200000;
	ck_assert_int_eq(deliver("M", big.s, big.len, &d, NULL), -1);
	ck_assert_int_eq(errno, EFBIG);
	d.maxsize = 300000;
	ck_assert_int_eq(deliver("M", big.s, big.len, &d, &out), 0);
	ck_assert_uint_eq(out.len, big.len + 37);
	ck_assert_int_eq(memcmp(out.s + 37, big.s, big.len), 0);
	ck_assert_int_eq(count("M/new"), 2);
	ck_assert_int_eq(count("M/tmp"), 0);
	buf_free(&out);
	buf_free(&big);
}
END_TEST

/* Binary content, NUL bytes, sizes around the 64 KiB block. */
START_TEST(t_deliver_binary)
{
	static const size_t sizes[] = { 1, 65535, 65536, 65537, 131072,
	    1000003 };
	struct maildir_delivery d = { "a@b", NULL, 0 };
	struct buf out = BUF_INIT, in = BUF_INIT;
	unsigned int x = 12345;
	size_t i, k;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		buf_reset(&in);
		for (i = 0; i < sizes[k]; i++) {
			x = x * 1103515245 + 12345;
			ck_assert_int_eq(buf_putc(&in, (int)(x >> 16) & 0xff),
			    0);
		}
		in.s[0] = '\0';
		ck_assert_int_eq(deliver("M", in.s, in.len, &d, &out), 0);
		ck_assert_uint_eq(out.len, in.len + 19);
		ck_assert_int_eq(memcmp(out.s, "Return-Path: <a@b>\n", 19), 0);
		ck_assert_int_eq(memcmp(out.s + 19, in.s, in.len), 0);
	}
	ck_assert_int_eq(count("M/new"), 6);
	ck_assert_int_eq(count("M/tmp"), 0);
	buf_free(&out);
	buf_free(&in);
}
END_TEST

/* From a pipe, written in small pieces by a child. */
START_TEST(t_deliver_pipe)
{
	struct maildir_delivery d = { NULL, "x@y", 0 };
	struct buf name = BUF_INIT, out = BUF_INIT;
	char p[4096];
	int fds[2], i, st;
	pid_t pid;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		for (i = 0; i < 1000; i++)
			if (write_all(fds[1], "0123456789abcdef\r\n", 18) == -1)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(maildir_deliver(path("M"), fds[0], &d, &name), 0);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(p, sizeof(p), "%s/M/new/%s", top, name.s);
	ck_assert_int_eq(read_file(p, &out, 1 << 20), 0);
	ck_assert_uint_eq(out.len, 19 + 18000);
	ck_assert_int_eq(memcmp(out.s, "Delivered-To: x@y\r\n0123", 23), 0);
	buf_free(&name);
	buf_free(&out);
}
END_TEST

START_TEST(t_deliver_not_maildir)
{
	struct maildir_delivery d = { NULL, NULL, 0 };
	int fd;

	errno = 0;
	ck_assert_int_eq(deliver("none", msg, strlen(msg), &d, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* a regular file */
	fd = open(path("file"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_int_eq(deliver("file", msg, strlen(msg), &d, NULL), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(deliver("file/x", msg, strlen(msg), &d, NULL), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	/* a directory without new/, without tmp/ */
	ck_assert_int_eq(mkdir(path("A"), 0700), 0);
	ck_assert_int_eq(mkdir(path("A/tmp"), 0700), 0);
	ck_assert_int_eq(deliver("A", msg, strlen(msg), &d, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(count("A/tmp"), 0);
	ck_assert_int_eq(mkdir(path("B"), 0700), 0);
	ck_assert_int_eq(mkdir(path("B/new"), 0700), 0);
	ck_assert_int_eq(deliver("B", msg, strlen(msg), &d, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(count("B/new"), 0);
}
END_TEST

/* A read error midway: nothing in new/, tmp/ cleaned. */
START_TEST(t_deliver_read_error)
{
	struct maildir_delivery d = { "a@b", NULL, 0 };
	int fd;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	fd = open(path("M"), O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(fd, -1);
	errno = 0;
	ck_assert_int_eq(maildir_deliver(path("M"), fd, &d, NULL), -1);
	ck_assert_int_eq(errno, EISDIR);
	close(fd);
	ck_assert_int_eq(maildir_deliver(path("M"), -1, &d, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(count("M/new"), 0);
	ck_assert_int_eq(count("M/tmp"), 0);
}
END_TEST

/* RLIMIT_FSIZE: write's EFBIG comes back as EDQUOT (temporary). */
START_TEST(t_deliver_fsize_limit)
{
	struct maildir_delivery d = { "a@b", NULL, 0 };
	struct rlimit rl = { 4096, 4096 };
	struct buf big = BUF_INIT;
	pid_t pid;
	int st, fd;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	ck_assert_int_eq(buf_ready(&big, 100000), 0);
	memset(big.s, 'x', 100000);
	big.len = 100000;
	fd = input(big.s, big.len);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(2);
		if (maildir_deliver(path("M"), fd, &d, NULL) != -1)
			_exit(3);
		_exit(errno == EDQUOT ? 0 : 4);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	close(fd);
	ck_assert_int_eq(count("M/new"), 0);
	ck_assert_int_eq(count("M/tmp"), 0);
	buf_free(&big);
}
END_TEST

START_TEST(t_deliver_many_unique)
{
	struct maildir_delivery d = { NULL, NULL, 0 };
	int i;

	ck_assert_int_eq(maildir_make(path("M")), 0);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(deliver("M", msg, strlen(msg), &d, NULL), 0);
	ck_assert_int_eq(count("M/new"), 200);
	ck_assert_int_eq(count("M/tmp"), 0);
}
END_TEST

START_TEST(t_deliver_folder)
{
	struct maildir_delivery d = { NULL, NULL, 0 };
	struct buf p = BUF_INIT, out = BUF_INIT, name = BUF_INIT;
	int fd;

	ck_assert_int_eq(maildir_make_folder(path("M"), "Archive/2026", &p),
	    0);
	ck_assert_str_eq(p.s, path("M/.Archive.2026"));
	fd = input(msg, strlen(msg));
	ck_assert_int_eq(maildir_deliver(p.s, fd, &d, &name), 0);
	close(fd);
	ck_assert_int_eq(count("M/.Archive.2026/new"), 1);
	ck_assert_int_eq(count("M/new"), 0);
	buf_free(&p);
	buf_free(&out);
	buf_free(&name);
}
END_TEST

START_TEST(t_make)
{
	mode_t m;
	int fd;

	ck_assert_int_eq(maildir_make(path("a/b/M")), 0);
	ck_assert(is_dir("a/b/M", &m));
	ck_assert_uint_eq(m, 0700);
	ck_assert(is_dir("a/b/M/tmp", &m));
	ck_assert_uint_eq(m, 0700);
	ck_assert(is_dir("a/b/M/new", &m));
	ck_assert_uint_eq(m, 0700);
	ck_assert(is_dir("a/b/M/cur", &m));
	ck_assert_uint_eq(m, 0700);
	ck_assert_int_eq(count("a/b/M"), 3);
	/* idempotent, and it completes what is missing */
	ck_assert_int_eq(maildir_make(path("a/b/M")), 0);
	ck_assert_int_eq(rmdir(path("a/b/M/cur")), 0);
	ck_assert_int_eq(maildir_make(path("a/b/M")), 0);
	ck_assert(is_dir("a/b/M/cur", NULL));
	/* something in the way */
	fd = open(path("F"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	errno = 0;
	ck_assert_int_eq(maildir_make(path("F")), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(maildir_make(path("F/M")), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(mkdir(path("N"), 0700), 0);
	fd = open(path("N/new"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_int_eq(maildir_make(path("N")), -1);
	ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

START_TEST(t_make_folder)
{
	struct buf p = BUF_INIT;
	struct stat st;
	mode_t m;
	int fd;

	ck_assert_int_eq(maildir_make_folder(path("M"), "Sent", &p), 0);
	ck_assert_str_eq(p.s, path("M/.Sent"));
	ck_assert(is_dir("M/cur", NULL));
	ck_assert(is_dir("M/.Sent", &m));
	ck_assert_uint_eq(m, 0700);
	ck_assert(is_dir("M/.Sent/tmp", NULL));
	ck_assert(is_dir("M/.Sent/new", NULL));
	ck_assert(is_dir("M/.Sent/cur", NULL));
	ck_assert_int_eq(stat(path("M/.Sent/maildirfolder"), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(count("M/.Sent"), 4);
	/* the assembly place is left clean */
	ck_assert_int_eq(count("M/tmp"), 0);
	/* idempotent */
	ck_assert_int_eq(maildir_make_folder(path("M"), "Sent", NULL), 0);
	ck_assert_int_eq(count("M"), 4);
	/* INBOX is the root */
	ck_assert_int_eq(maildir_make_folder(path("M"), "inbox", &p), 0);
	ck_assert_str_eq(p.s, path("M"));
	ck_assert_int_eq(count("M"), 4);
	/* a partial folder is completed */
	ck_assert_int_eq(mkdir(path("M/.Part"), 0700), 0);
	ck_assert_int_eq(mkdir(path("M/.Part/cur"), 0700), 0);
	ck_assert_int_eq(maildir_make_folder(path("M"), "Part", NULL), 0);
	ck_assert_int_eq(count("M/.Part"), 4);
	ck_assert(is_dir("M/.Part/new", NULL));
	/* nested names, no parent needed (Maildir++) */
	ck_assert_int_eq(maildir_make_folder(path("M"), "A/B/C", &p), 0);
	ck_assert_str_eq(p.s, path("M/.A.B.C"));
	ck_assert(is_dir("M/.A.B.C/new", NULL));
	ck_assert(!is_dir("M/.A", NULL));
	/* bad names make nothing, not even the root */
	errno = 0;
	ck_assert_int_eq(maildir_make_folder(path("X"), "a//b", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!is_dir("X", NULL));
	ck_assert_int_eq(maildir_make_folder(path("M"), "../x", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a file in the way */
	fd = open(path("M/.File"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_int_eq(maildir_make_folder(path("M"), "File", NULL), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(count("M/tmp"), 0);
	buf_free(&p);
}
END_TEST

struct pair {
	const char	*mailbox;
	const char	*dir;
};

static const struct pair pairs[] = {
	{ "INBOX", "" },
	{ "Sent", ".Sent" },
	{ "Archive/2026", ".Archive.2026" },
	{ "a/b/c/d", ".a.b.c.d" },
	{ "Entw\xc3\xbcrfe", ".Entw&APw-rfe" },
	{ "Gel\xc3\xb6schte Elemente", ".Gel&APY-schte Elemente" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97",
	    ".~peter.mail.&U,BTFw-" },
	{ "A&B", ".A&-B" },
	{ "v1.2", ".v1\\2e2" },
	{ ".hidden", ".\\2ehidden" },
	{ "...", ".\\2e\\2e\\2e" },
	{ "back\\slash", ".back\\5cslash" },
	{ "a.b/c.d", ".a\\2eb.c\\2ed" },
	{ "INBOX/x", ".INBOX.x" },
	{ "x/INBOX", ".x.INBOX" },
	{ "x/inbox", ".x.inbox" },
	{ "INBOXES", ".INBOXES" },
	{ "Sp ace", ".Sp ace" },
	{ "\xf0\x9f\x98\x80", ".&2D3eAA-" },
	{ "*%", ".*%" },
	{ "-", ".-" },
	{ NULL, NULL }
};

START_TEST(t_folder_pairs)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; pairs[i].mailbox != NULL; i++) {
		ck_assert_int_eq(maildir_folder_dir(pairs[i].mailbox, &b), 0);
		ck_assert_str_eq(b.s, pairs[i].dir);
		ck_assert_int_eq(maildir_folder_name(pairs[i].dir, &b), 0);
		ck_assert_str_eq(b.s, pairs[i].mailbox);
	}
	/* INBOX in any case, alone or as the first component */
	ck_assert_int_eq(maildir_folder_dir("inbox", &b), 0);
	ck_assert_str_eq(b.s, "");
	ck_assert_int_eq(maildir_folder_dir("iNbOx", &b), 0);
	ck_assert_str_eq(b.s, "");
	ck_assert_int_eq(maildir_folder_dir("Inbox/Sub", &b), 0);
	ck_assert_str_eq(b.s, ".INBOX.Sub");
	/* the output replaces what was there */
	ck_assert_int_eq(buf_puts(&b, "junk"), 0);
	ck_assert_int_eq(maildir_folder_dir("x", &b), 0);
	ck_assert_str_eq(b.s, ".x");
	ck_assert_int_eq(maildir_folder_name(".y", &b), 0);
	ck_assert_str_eq(b.s, "y");
	buf_free(&b);
}
END_TEST

START_TEST(t_folder_bad_mailbox)
{
	static const char *bad[] = {
		"", "/", "/a", "a/", "a//b", "//", ".", "..", "a/../b",
		"a/./b", "../a", "a/..", "a\tb", "\x01", "a\x7f", "a\nb",
		"a\rb", "\xc2\x85", "\xc2\x9f", "\xff", "\xc0\xae",
		"\xed\xa0\x80", "a\xe6\x97", "INBOX/", "/INBOX", NULL
	};
	struct buf b = BUF_INIT;
	size_t i;

	ck_assert_int_eq(buf_puts(&b, "keep"), 0);
	for (i = 0; bad[i] != NULL; i++) {
		errno = 0;
		ck_assert_msg(maildir_folder_dir(bad[i], &b) == -1,
		    "accepted case %zu", i);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_str_eq(b.s, "keep");
	}
	buf_free(&b);
}
END_TEST

START_TEST(t_folder_length)
{
	struct buf b = BUF_INIT, name = BUF_INIT;
	size_t i;

	/* ".aaa...": 255 bytes is fine, 256 too long */
	for (i = 0; i < 254; i++)
		ck_assert_int_eq(buf_putc(&name, 'a'), 0);
	ck_assert_int_eq(maildir_folder_dir(name.s, &b), 0);
	ck_assert_uint_eq(b.len, 255);
	ck_assert_int_eq(buf_putc(&name, 'a'), 0);
	errno = 0;
	ck_assert_int_eq(maildir_folder_dir(name.s, &b), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	/* escapes and encodings count as they are written */
	buf_reset(&name);
	for (i = 0; i < 90; i++)
		ck_assert_int_eq(buf_putc(&name, '.'), 0);
	ck_assert_int_eq(maildir_folder_dir(name.s, &b), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	buf_free(&b);
	buf_free(&name);
}
END_TEST

START_TEST(t_folder_bad_dir)
{
	static const char *bad[] = {
		"Sent", "cur", "new", "tmp", ".", "..", "...", ".a.", "..a",
		".a..b", ".a\\2Eb", ".a\\2", ".a\\", ".a\\41", ".a\\2f",
		".&AOQ", ".&AGE-", ".&AOQ-&AOQ-", ".a&", ".INBOX", ".inbox",
		".Inbox", ".inbox.x", ".Inbox.x", ".\\2e", ".\\2e\\2e",
		".x.\\2e\\2e", ".&AAk-", ".a\tb", ".\xc3\xa4", ".&AIU-",
		NULL
	};
	struct buf b = BUF_INIT;
	size_t i;

	ck_assert_int_eq(buf_puts(&b, "keep"), 0);
	for (i = 0; bad[i] != NULL; i++) {
		errno = 0;
		ck_assert_msg(maildir_folder_name(bad[i], &b) == -1,
		    "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_str_eq(b.s, "keep");
	}
	ck_assert_int_eq(maildir_folder_name("", &b), 0);
	ck_assert_str_eq(b.s, "INBOX");
	buf_free(&b);
}
END_TEST

START_TEST(t_name_split)
{
	const char *info;
	size_t n;

	ck_assert_int_eq(maildir_name_split("123.M1P2.host:2,FS", &n, &info),
	    0);
	ck_assert_uint_eq(n, 13);
	ck_assert_str_eq(info, "2,FS");
	ck_assert_int_eq(maildir_name_split("123.M1P2.host", &n, &info), 0);
	ck_assert_uint_eq(n, 13);
	ck_assert_ptr_null(info);
	ck_assert_int_eq(maildir_name_split("x:", &n, &info), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(info, "");
	/* the first ':' splits */
	ck_assert_int_eq(maildir_name_split("x:2,S:y", &n, &info), 0);
	ck_assert_str_eq(info, "2,S:y");
	errno = 0;
	ck_assert_int_eq(maildir_name_split(":2,S", &n, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(maildir_name_split("", &n, &info), -1);
	ck_assert_int_eq(maildir_name_split("new/x:2,S", &n, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(t_flags)
{
	struct buf b = BUF_INIT;
	uint64_t bits;

	ck_assert_int_eq(maildir_flags_parse("SF", 2, &bits), 0);
	ck_assert(bits == (MAILDIR_F_SEEN | MAILDIR_F_FLAGGED));
	ck_assert_int_eq(maildir_flags_parse("", 0, &bits), 0);
	ck_assert(bits == 0);
	/* any order, repeats: read as they come */
	ck_assert_int_eq(maildir_flags_parse("zTSSaRPFDD", 10, &bits), 0);
	ck_assert_int_eq(maildir_flags_format(bits, &b), 0);
	ck_assert_str_eq(b.s, "DFPRSTaz");
	buf_reset(&b);
	ck_assert_int_eq(maildir_flags_format(0, &b), 0);
	ck_assert_str_eq(b.s != NULL ? b.s : "", "");
	/* every letter, upper then lower case (ASCII order) */
	ck_assert_int_eq(maildir_flags_parse("zyxwvutsrqponmlkjihgfedcba"
	    "ZYXWVUTSRQPONMLKJIHGFEDCBA", 52, &bits), 0);
	ck_assert(bits == ((uint64_t)1 << 52) - 1);
	buf_reset(&b);
	ck_assert_int_eq(maildir_flags_format(bits, &b), 0);
	ck_assert_str_eq(b.s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");
	/* not letters */
	errno = 0;
	ck_assert_int_eq(maildir_flags_parse("S1", 2, &bits), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(maildir_flags_parse("S,", 2, &bits), -1);
	ck_assert_int_eq(maildir_flags_parse("S ", 2, &bits), -1);
	ck_assert_int_eq(maildir_flags_parse("S\0", 2, &bits), -1);
	ck_assert_int_eq(maildir_flags_parse("\xc3\xa4", 2, &bits), -1);
	/* distinct bits */
	ck_assert(MAILDIR_F_DRAFT != MAILDIR_F_FLAGGED);
	ck_assert(MAILDIR_FLAG('a') == (uint64_t)1 << 26);
	ck_assert(MAILDIR_FLAG('1') == 0);
	ck_assert((MAILDIR_F_SETTABLE & MAILDIR_FLAG('X')) == 0);
	ck_assert((MAILDIR_F_SETTABLE & MAILDIR_FLAG('z')) != 0);
	buf_free(&b);
}
END_TEST

START_TEST(t_name_flags)
{
	uint64_t bits;

	ck_assert_int_eq(maildir_name_flags("x:2,RSa", &bits), 0);
	ck_assert(bits == (MAILDIR_F_REPLIED | MAILDIR_F_SEEN |
	    MAILDIR_FLAG('a')));
	ck_assert_int_eq(maildir_name_flags("x", &bits), 0);
	ck_assert(bits == 0);
	ck_assert_int_eq(maildir_name_flags("x:", &bits), 0);
	ck_assert(bits == 0);
	ck_assert_int_eq(maildir_name_flags("x:2,", &bits), 0);
	ck_assert(bits == 0);
	errno = 0;
	ck_assert_int_eq(maildir_name_flags("x:1,abc", &bits), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(maildir_name_flags("x:2", &bits), -1);
	ck_assert_int_eq(maildir_name_flags("x:2S", &bits), -1);
	ck_assert_int_eq(maildir_name_flags("x:2,S,F", &bits), -1);
	ck_assert_int_eq(maildir_name_flags("x:2,S:", &bits), -1);
	ck_assert_int_eq(maildir_name_flags(":2,S", &bits), -1);
}
END_TEST

START_TEST(t_set_flags)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(maildir_set_flags("123.x", "S", NULL, &b), 0);
	ck_assert_str_eq(b.s, "123.x:2,S");
	ck_assert_int_eq(maildir_set_flags(b.s, "F", "", &b), 0);	/* alias */
	ck_assert_str_eq(b.s, "123.x:2,FS");
	ck_assert_int_eq(maildir_set_flags(b.s, "TDRa", "S", &b), 0);
	ck_assert_str_eq(b.s, "123.x:2,DFRTa");
	ck_assert_int_eq(maildir_set_flags(b.s, "", "DFRTa", &b), 0);
	ck_assert_str_eq(b.s, "123.x:2,");
	/* clear wins over set */
	ck_assert_int_eq(maildir_set_flags("y:2,S", "F", "F", &b), 0);
	ck_assert_str_eq(b.s, "y:2,S");
	/* unsorted, repeated input comes out canonical */
	ck_assert_int_eq(maildir_set_flags("y:2,SSFD", NULL, NULL, &b), 0);
	ck_assert_str_eq(b.s, "y:2,DFS");
	/* a flag of someone else's is kept */
	ck_assert_int_eq(maildir_set_flags("y:2,XS", "R", NULL, &b), 0);
	ck_assert_str_eq(b.s, "y:2,RSX");
	ck_assert_int_eq(maildir_set_flags("y:", "P", NULL, &b), 0);
	ck_assert_str_eq(b.s, "y:2,P");
	/* bits form */
	ck_assert_int_eq(maildir_name_set_flags("z:2,S", MAILDIR_F_FLAGGED,
	    MAILDIR_F_SEEN, &b), 0);
	ck_assert_str_eq(b.s, "z:2,F");
	/* bad requests leave name_r alone */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "keep"), 0);
	errno = 0;
	ck_assert_int_eq(maildir_set_flags("y", "X", NULL, &b), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(maildir_set_flags("y", NULL, "A", &b), -1);
	ck_assert_int_eq(maildir_set_flags("y", "1", NULL, &b), -1);
	ck_assert_int_eq(maildir_set_flags("y", "S ", NULL, &b), -1);
	ck_assert_int_eq(maildir_set_flags("y:1,x", "S", NULL, &b), -1);
	ck_assert_int_eq(maildir_set_flags("y:2,S!", "S", NULL, &b), -1);
	ck_assert_int_eq(maildir_set_flags(":2,S", "S", NULL, &b), -1);
	ck_assert_int_eq(maildir_set_flags("a/b", "S", NULL, &b), -1);
	ck_assert_int_eq(maildir_name_set_flags("y", MAILDIR_FLAG('X'), 0,
	    &b), -1);
	ck_assert_int_eq(maildir_name_set_flags("y", (uint64_t)1 << 60, 0,
	    &b), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(b.s, "keep");
	buf_free(&b);
}
END_TEST

/* Make the file rel (with text) dated ago seconds back (atime, mtime). */
static void
dated(const char *rel, const char *text, time_t ago)
{
	struct timespec ts[2];
	int fd;

	ck_assert((fd = open(path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
	    -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - ago;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
}

static int nremoved;
static char removed_names[8][128];

static void
on_removed(void *ctx, const char *rel)
{
	ck_assert_ptr_eq(ctx, &nremoved);
	if (nremoved < 8)
		snprintf(removed_names[nremoved], sizeof(removed_names[0]),
		    "%s", rel);
	nremoved++;
}

static int
was_removed(const char *rel)
{
	int i;

	for (i = 0; i < nremoved && i < 8; i++)
		if (strcmp(removed_names[i], rel) == 0)
			return 1;
	return 0;
}

/* Stale tmp/ files (issue 9.10): older than 36 hours, root and folders. */
START_TEST(t_clean_tmp)
{
	struct timespec ts[2];
	time_t now = time(NULL);
	int fd;

	ck_assert_int_eq(maildir_make(path("md")), 0);
	ck_assert_int_eq(maildir_make_folder(path("md"), "Sent", NULL), 0);
	ck_assert_int_eq(maildir_make_folder(path("md"), "A/B", NULL), 0);
	dated("md/tmp/old", "x", MAILDIR_TMP_MAXAGE + 60);
	dated("md/tmp/young", "x", MAILDIR_TMP_MAXAGE - 60);
	dated("md/.Sent/tmp/old", "x", 40 * 3600);
	dated("md/.A.B/tmp/old2", "x", 100 * 86400);
	dated("md/new/old", "a delivered message", 100 * 86400);
	dated("md/cur/old:2,S", "a read message", 100 * 86400);
	/* read lately, though written long ago: not stale */
	dated("md/tmp/read", "x", 100 * 86400);
	ts[0].tv_sec = now - 60;
	ts[1].tv_sec = now - 100 * 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path("md/tmp/read"), ts, 0), 0);
	/* a folder assembly left by a crash, and a fresh one */
	ck_assert_int_eq(mkdir(path("md/tmp/.folder.dead"), 0700), 0);
	ck_assert_int_eq(mkdir(path("md/tmp/.folder.dead/new"), 0700), 0);
	ts[0].tv_sec = ts[1].tv_sec = now - 40 * 3600;
	ck_assert_int_eq(utimensat(AT_FDCWD, path("md/tmp/.folder.dead"), ts,
	    0), 0);
	ck_assert_int_eq(mkdir(path("md/tmp/.folder.live"), 0700), 0);
	/* an old directory of someone else's: left */
	ck_assert_int_eq(mkdir(path("md/tmp/other"), 0700), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, path("md/tmp/other"), ts, 0), 0);
	/* a link is never followed: an old file behind it stays */
	ck_assert_int_eq(mkdir(path("elsewhere"), 0700), 0);
	ck_assert_int_eq(mkdir(path("elsewhere/tmp"), 0700), 0);
	dated("elsewhere/tmp/victim", "x", 100 * 86400);
	ck_assert_int_eq(symlink(path("elsewhere"), path("md/.Evil")), 0);

	nremoved = 0;
	ck_assert_int_eq(maildir_clean_tmp(path("md"), now, 0, on_removed,
	    &nremoved), 4);
	ck_assert_int_eq(nremoved, 4);
	ck_assert(was_removed("tmp/old"));
	ck_assert(was_removed(".Sent/tmp/old"));
	ck_assert(was_removed(".A.B/tmp/old2"));
	ck_assert(was_removed("tmp/.folder.dead"));
	ck_assert_int_eq(access(path("md/tmp/young"), F_OK), 0);
	ck_assert_int_eq(access(path("md/tmp/read"), F_OK), 0);
	ck_assert_int_eq(access(path("md/tmp/.folder.live"), F_OK), 0);
	ck_assert_int_eq(access(path("md/tmp/other"), F_OK), 0);
	ck_assert_int_eq(access(path("md/new/old"), F_OK), 0);
	ck_assert_int_eq(access(path("md/cur/old:2,S"), F_OK), 0);
	ck_assert_int_eq(access(path("elsewhere/tmp/victim"), F_OK), 0);
	ck_assert_int_eq(count("md/.Sent/tmp"), 0);
	/* again: nothing more */
	ck_assert_int_eq(maildir_clean_tmp(path("md"), now, 0, NULL, NULL), 0);
	/* with a clock two days on, the young ones go too */
	ck_assert_int_eq(maildir_clean_tmp(path("md"), now + 2 * 86400, 0,
	    NULL, NULL), 3);

	/* bounded: at most max entries looked at per call */
	for (fd = 0; fd < 20; fd++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "md/tmp/f%d", fd);
		dated(rel, "x", 50 * 3600);
	}
	ck_assert_int_le(maildir_clean_tmp(path("md"), now, 5, NULL, NULL), 5);
	fd = count("md/tmp");
	ck_assert_int_ge(fd, 16);
	/* the rest next time: all but the directory "other" */
	ck_assert_int_eq(maildir_clean_tmp(path("md"), now, 0, NULL, NULL),
	    fd - 1);
	ck_assert_int_eq(count("md/tmp"), 1);

	/* no Maildir: -1 */
	errno = 0;
	ck_assert_int_eq(maildir_clean_tmp(path("none"), now, 0, NULL, NULL),
	    -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static Suite *
maildir_suite(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_deliver_basic);
	tcase_add_test(tc, t_deliver_headers);
	tcase_add_test(tc, t_deliver_bad_fields);
	tcase_add_test(tc, t_deliver_maxsize);
	tcase_add_test(tc, t_deliver_binary);
	tcase_add_test(tc, t_deliver_pipe);
	tcase_add_test(tc, t_deliver_not_maildir);
	tcase_add_test(tc, t_deliver_read_error);
	tcase_add_test(tc, t_deliver_fsize_limit);
	tcase_add_test(tc, t_deliver_many_unique);
	tcase_add_test(tc, t_deliver_folder);
	tcase_add_test(tc, t_make);
	tcase_add_test(tc, t_make_folder);
	tcase_add_test(tc, t_folder_pairs);
	tcase_add_test(tc, t_folder_bad_mailbox);
	tcase_add_test(tc, t_folder_length);
	tcase_add_test(tc, t_folder_bad_dir);
	tcase_add_test(tc, t_name_split);
	tcase_add_test(tc, t_flags);
	tcase_add_test(tc, t_name_flags);
	tcase_add_test(tc, t_set_flags);
	tcase_add_test(tc, t_clean_tmp);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(maildir_suite)
