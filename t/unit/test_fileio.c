/*
 * test_fileio: whole reads and writes, directory fsync, atomic replacement
 * (failures included), unique names, mkdir_p (lib/fileio.c).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "unit.h"

static char *dir;	/* scratch directory of the running test */

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

/* dir/name in a static buffer (two of them, used alternately). */
static const char *
at(const char *name)
{
	static char p[2][4200];
	static int k;

	k = !k;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void
put(const char *name, const char *s, size_t n)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write_all(fd, s, n), 0);
	ck_assert_int_eq(close(fd), 0);
}

static void
ck_content(const char *name, const char *want, size_t n)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(read_file(at(name), &b, 1 << 20), 0);
	ck_assert_uint_eq(b.len, n);
	if (n > 0)
		ck_assert_mem_eq(b.s, want, n);
	buf_free(&b);
}

/* Number of entries in directory d, "." and ".." not counted. */
static int
count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Wait for child pid and return its exit code (-1 if killed). */
static int
child_status(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
pattern(char *p, size_t n, size_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)((off + i) * 131 % 251);
}

/* write_all to a pipe and read_all back, through a writer child. */
START_TEST(t_write_read_pipe)
{
	struct buf b = BUF_INIT;
	size_t n = 300000;
	char *p = malloc(n);
	int fds[2];
	pid_t pid;

	ck_assert_ptr_nonnull(p);
	pattern(p, n, 0);
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(write_all(fds[1], p, n) == 0 ? 0 : 1);
	}
	close(fds[1]);
	ck_assert_int_eq(read_all(fds[0], &b, n), 0);
	close(fds[0]);
	ck_assert_int_eq(child_status(pid), 0);
	ck_assert_uint_eq(b.len, n);
	ck_assert_mem_eq(b.s, p, n);
	ck_assert_int_eq(b.s[n], '\0');
	free(p);
	buf_free(&b);
}
END_TEST

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * write_all goes on after short writes and EINTR: a timer interrupts the
 * writer many times while a slow reader drains a pipe.
 */
START_TEST(t_write_all_interrupted)
{
	struct sigaction sa;
	struct itimerval it;
	size_t n = 4 << 20, got = 0;
	char *p = malloc(n), rb[4096], want[4096];
	ssize_t r;
	int fds[2], bad = 0;
	pid_t pid;

	ck_assert_ptr_nonnull(p);
	pattern(p, n, 0);
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[1]);
		usleep(50000);
		while ((r = read(fds[0], rb, sizeof(rb))) > 0) {
			pattern(want, (size_t)r, got);
			if (memcmp(rb, want, (size_t)r) != 0)
				bad = 1;
			got += (size_t)r;
		}
		_exit(bad || got != n ? 1 : 0);
	}
	close(fds[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: writes get interrupted */
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 500;
	it.it_value.tv_usec = 500;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(write_all(fds[1], p, n), 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	close(fds[1]);
	ck_assert_int_eq(child_status(pid), 0);
	free(p);
}
END_TEST

/* A reader that went away: EPIPE (SIGPIPE ignored). */
START_TEST(t_write_all_epipe)
{
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	errno = 0;
	ck_assert_int_eq(write_all(fds[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(write_all(fds[1], "", 0), 0);	/* nothing to do */
	close(fds[1]);
}
END_TEST

/* read_all: exactly max is fine, one more byte is EFBIG. */
START_TEST(t_read_max)
{
	struct buf b = BUF_INIT;
	char p[100];

	pattern(p, sizeof(p), 7);
	put("f", p, sizeof(p));
	ck_assert_int_eq(read_file(at("f"), &b, 100), 0);
	ck_assert_uint_eq(b.len, 100);
	ck_assert_mem_eq(b.s, p, 100);
	buf_reset(&b);
	errno = 0;
	ck_assert_int_eq(read_file(at("f"), &b, 99), -1);
	ck_assert_int_eq(errno, EFBIG);
	buf_reset(&b);
	ck_assert_int_eq(read_file(at("f"), &b, 0), -1);
	ck_assert_int_eq(errno, EFBIG);
	buf_free(&b);
}
END_TEST

/* A large file past max fails, however far past it goes. */
START_TEST(t_read_max_large)
{
	struct buf b = BUF_INIT;
	size_t n = 200000;
	char *p = malloc(n);

	ck_assert_ptr_nonnull(p);
	pattern(p, n, 0);
	put("big", p, n);
	ck_assert_int_eq(read_file(at("big"), &b, 65536), -1);
	ck_assert_int_eq(errno, EFBIG);
	buf_reset(&b);
	ck_assert_int_eq(read_file(at("big"), &b, n), 0);
	ck_assert_uint_eq(b.len, n);
	ck_assert_mem_eq(b.s, p, n);
	free(p);
	buf_free(&b);
}
END_TEST

/* read_all appends; max counts only the bytes read now. */
START_TEST(t_read_appends)
{
	struct buf b = BUF_INIT;

	put("f", "0123456789", 10);
	ck_assert_int_eq(buf_puts(&b, "head:"), 0);
	ck_assert_int_eq(read_file(at("f"), &b, 10), 0);
	ck_assert_str_eq(b.s, "head:0123456789");
	buf_free(&b);
}
END_TEST

/* An empty file gives an empty, NUL-terminated buffer. */
START_TEST(t_read_empty)
{
	struct buf b = BUF_INIT;

#ifdef M_PERTURB
	mallopt(M_PERTURB, 0x5a);	/* fresh memory is not zero */
#endif
	put("empty", "", 0);
	ck_assert_int_eq(read_file(at("empty"), &b, 0), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.s);
	ck_assert_int_eq(b.s[0], '\0');
	buf_free(&b);
}
END_TEST

START_TEST(t_read_errors)
{
	struct buf b = BUF_INIT;
	int fd;

	errno = 0;
	ck_assert_int_eq(read_file(at("missing"), &b, 10), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(read_file(dir, &b, 10), -1);
	ck_assert_int_eq(errno, EISDIR);
	put("f", "abc", 3);
	fd = open(at("f"), O_WRONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(read_all(fd, &b, 10), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fd);
	buf_free(&b);
}
END_TEST

START_TEST(t_fsync_dir)
{
	ck_assert_int_eq(fsync_dir(dir), 0);
	ck_assert_int_eq(fsync_dir("/"), 0);
	errno = 0;
	ck_assert_int_eq(fsync_dir(at("missing")), -1);
	ck_assert_int_eq(errno, ENOENT);
	put("f", "x", 1);
	ck_assert_int_eq(fsync_dir(at("f")), -1);
	ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

START_TEST(t_fsync_parent)
{
	ck_assert_int_eq(fsync_parent(at("not-yet-there")), 0);
	ck_assert_int_eq(fsync_parent("/etc"), 0);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(fsync_parent("plain-name"), 0);
	errno = 0;
	ck_assert_int_eq(fsync_parent(at("missing/x")), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* A new file: content, mode independent of the umask, no temporary. */
START_TEST(t_atomic_new)
{
	umask(077);
	ck_assert_int_eq(atomic_replace(at("f"), "hello\n", 6, 0644), 0);
	ck_content("f", "hello\n", 6);
	ck_assert_uint_eq(mode_of(at("f")), 0644);
	ck_assert_int_eq(count_entries(dir), 1);
	umask(0);
	ck_assert_int_eq(atomic_replace(at("g"), "", 0, 0600), 0);
	ck_content("g", "", 0);
	ck_assert_uint_eq(mode_of(at("g")), 0600);
	ck_assert_int_eq(count_entries(dir), 2);
}
END_TEST

/* Replacing: new content and the new mode, nothing else left over. */
START_TEST(t_atomic_replace_existing)
{
	size_t n = 100000;
	char *p = malloc(n);
	int i;

	ck_assert_ptr_nonnull(p);
	pattern(p, n, 3);
	put("f", "old content", 11);
	ck_assert_int_eq(chmod(at("f"), 0600), 0);
	ck_assert_int_eq(atomic_replace(at("f"), p, n, 0640), 0);
	ck_content("f", p, n);
	ck_assert_uint_eq(mode_of(at("f")), 0640);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(atomic_replace(at("f"), p, (size_t)i, 0640),
		    0);
	ck_content("f", p, 49);
	ck_assert_int_eq(count_entries(dir), 1);
	free(p);
}
END_TEST

/*
 * A directory we may not write into: -1 EACCES, the old file untouched.
 * As root, the child drops to uid/gid 65534 first.
 */
START_TEST(t_atomic_unwritable_dir)
{
	pid_t pid;

	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(mkdir(at("ro"), 0755), 0);
	put("ro/f", "old\n", 4);
	ck_assert_int_eq(chmod(at("ro"), 0555), 0);
	if ((pid = fork()) == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
		    setgid(65534) == -1 || setuid(65534) == -1))
			_exit(2);
		errno = 0;
		if (atomic_replace(at("ro/f"), "new\n", 4, 0644) != -1)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ck_assert_int_eq(child_status(pid), 0);
	ck_content("ro/f", "old\n", 4);
	ck_assert_int_eq(count_entries(at("ro")), 1);
	ck_assert_int_eq(chmod(at("ro"), 0755), 0);
}
END_TEST

/*
 * The write fails half way (RLIMIT_FSIZE, SIGXFSZ ignored, in a child):
 * -1 EFBIG, the old content stays, the temporary is removed.
 */
START_TEST(t_atomic_write_fails)
{
	char p[4096];
	pid_t pid;

	pattern(p, sizeof(p), 0);
	put("f", "old content\n", 12);
	if ((pid = fork()) == 0) {
		struct rlimit rl = { 100, 100 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(2);
		errno = 0;
		if (atomic_replace(at("f"), p, sizeof(p), 0644) != -1)
			_exit(3);
		_exit(errno == EFBIG ? 0 : 4);
	}
	ck_assert_int_eq(child_status(pid), 0);
	ck_content("f", "old content\n", 12);
	ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

/* rename over a directory fails: -1, the temporary is removed. */
START_TEST(t_atomic_onto_dir)
{
	ck_assert_int_eq(mkdir(at("d"), 0755), 0);
	errno = 0;
	ck_assert_int_eq(atomic_replace(at("d"), "x", 1, 0644), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(count_entries(at("d")), 0);
}
END_TEST

START_TEST(t_atomic_missing_dir)
{
	errno = 0;
	ck_assert_int_eq(atomic_replace(at("no/f"), "x", 1, 0644), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(count_entries(dir), 0);
}
END_TEST

/* "SECONDS.M<usec>P<pid>Q<count>.<host>" */
/* atomic_open + commit: invisible until the commit; abort leaves nothing */
START_TEST(t_atomic_pair)
{
	struct atomic_file f;

	put("f", "old", 3);
	ck_assert_int_eq(atomic_open(&f, at("f"), 0640), 0);
	ck_assert_int_eq(write_all(f.fd, "new!", 4), 0);
	ck_content("f", "old", 3);
	ck_assert_int_eq(count_entries(dir), 2);	/* f and the temporary */
	ck_assert_int_eq(atomic_commit(&f), 0);
	ck_content("f", "new!", 4);
	ck_assert_uint_eq(mode_of(at("f")), 0640);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(atomic_open(&f, at("f"), 0600), 0);
	ck_assert_int_eq(write_all(f.fd, "lost", 4), 0);
	errno = EINTR;
	atomic_abort(&f);
	ck_assert_int_eq(errno, EINTR);		/* kept for the caller */
	ck_content("f", "new!", 4);
	ck_assert_int_eq(count_entries(dir), 1);
	/* no directory: nothing to end */
	errno = 0;
	ck_assert_int_eq(atomic_open(&f, at("none/f"), 0600), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* move_noreplace: never over an existing file or directory */
START_TEST(t_move_noreplace)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert_int_ne(dfd, -1);
	put("a", "A", 1);
	put("b", "B", 1);
	errno = 0;
	ck_assert_int_eq(move_noreplace(dfd, "a", dfd, "b"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_content("a", "A", 1);
	ck_content("b", "B", 1);
	ck_assert_int_eq(move_noreplace(dfd, "a", dfd, "c"), 0);
	ck_content("c", "A", 1);
	ck_assert_int_eq(access(at("a"), F_OK), -1);
	/* directories, also over an empty one (rename(2) would replace it) */
	ck_assert_int_eq(mkdir(at("d1"), 0700), 0);
	ck_assert_int_eq(mkdir(at("d2"), 0700), 0);
	ck_assert_int_eq(move_noreplace(dfd, "d1", dfd, "d2"), -1);
	ck_assert_int_eq(access(at("d1"), F_OK), 0);
	ck_assert_int_eq(move_noreplace(dfd, "d1", dfd, "d3"), 0);
	ck_assert_int_eq(access(at("d3"), F_OK), 0);
	ck_assert_int_eq(move_noreplace(dfd, "missing", dfd, "e"), -1);
	ck_assert_int_eq(errno, ENOENT);
	close(dfd);
}
END_TEST

START_TEST(t_uniq_format)
{
	struct buf b = BUF_INIT, re = BUF_INIT;
	regmatch_t m[4];
	regex_t rx;
	long long sec;
	time_t now = time(NULL);

	ck_assert_int_eq(uniq_name(&b), 0);
	ck_assert_int_eq(buf_printf(&re,
	    "^([0-9]+)\\.M([0-9]{6})P%ldQ([0-9]+)\\.", (long)getpid()), 0);
	ck_assert_int_eq(regcomp(&rx, re.s, REG_EXTENDED), 0);
	ck_assert_msg(regexec(&rx, b.s, 4, m, 0) == 0, "bad name %s", b.s);
	ck_assert_str_eq(b.s + m[0].rm_eo, safe_hostname());
	sec = strtoll(b.s, NULL, 10);
	ck_assert(sec >= (long long)now - 5 && sec <= (long long)now + 5);
	ck_assert_ptr_null(strchr(b.s, '/'));
	regfree(&rx);
	buf_free(&b);
	buf_free(&re);
}
END_TEST

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 20000 names in a tight loop are all different. */
START_TEST(t_uniq_many)
{
	enum { N = 20000 };
	char **v = calloc(N, sizeof(*v));
	struct buf b = BUF_INIT;
	size_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < N; i++) {
		buf_reset(&b);
		ck_assert_int_eq(uniq_name(&b), 0);
		v[i] = buf_steal(&b);
	}
	qsort(v, N, sizeof(*v), cmpstr);
	for (i = 1; i < N; i++)
		ck_assert_str_ne(v[i - 1], v[i]);
	for (i = 0; i < N; i++)
		free(v[i]);
	free(v);
}
END_TEST

/* A forked child (same counter, same second) makes a different name. */
START_TEST(t_uniq_fork)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (uniq_name(&b) == -1 || write_all(fds[1], b.s, b.len) == -1)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(uniq_name(&a), 0);
	ck_assert_int_eq(read_all(fds[0], &b, 4096), 0);
	close(fds[0]);
	ck_assert_int_eq(child_status(pid), 0);
	ck_assert_uint_gt(b.len, 0);
	ck_assert_str_ne(a.s, b.s);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

/* safe_hostname is gethostname with '/' and ':' escaped. */
START_TEST(t_safe_hostname)
{
	struct buf want = BUF_INIT;
	char host[256];
	const char *h = safe_hostname(), *p;

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	for (p = host; *p != '\0'; p++) {
		if (*p == '/')
			ck_assert_int_eq(buf_puts(&want, "\\057"), 0);
		else if (*p == ':')
			ck_assert_int_eq(buf_puts(&want, "\\072"), 0);
		else
			ck_assert_int_eq(buf_putc(&want, *p), 0);
	}
	if (want.len == 0)
		ck_assert_int_eq(buf_puts(&want, "localhost"), 0);
	ck_assert_str_eq(h, want.s);
	ck_assert_ptr_null(strchr(h, '/'));
	ck_assert_ptr_null(strchr(h, ':'));
	ck_assert_ptr_eq(safe_hostname(), h);
	buf_free(&want);
}
END_TEST

/* Nested directories, each with the mode; existing ones are fine. */
START_TEST(t_mkdir_p_nested)
{
	umask(0);
	ck_assert_int_eq(mkdir_p(at("a/b/c"), 0750), 0);
	ck_assert_uint_eq(mode_of(at("a")), 0750);
	ck_assert_uint_eq(mode_of(at("a/b")), 0750);
	ck_assert_uint_eq(mode_of(at("a/b/c")), 0750);
	ck_assert_int_eq(chmod(at("a/b"), 0700), 0);
	ck_assert_int_eq(mkdir_p(at("a/b/c"), 0755), 0);
	ck_assert_int_eq(mkdir_p(at("a/b/c/d"), 0755), 0);
	ck_assert_uint_eq(mode_of(at("a/b")), 0700);	/* left as it was */
	ck_assert_uint_eq(mode_of(at("a/b/c/d")), 0755);
	ck_assert_int_eq(mkdir_p(dir, 0700), 0);
	ck_assert_int_eq(mkdir_p("/", 0700), 0);
}
END_TEST

/* Doubled and trailing slashes; a relative path. */
START_TEST(t_mkdir_p_slashes)
{
	struct stat st;

	ck_assert_int_eq(mkdir_p(at("x//y///z/"), 0755), 0);
	ck_assert_int_eq(stat(at("x/y/z"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir_p("rel/one", 0755), 0);
	ck_assert_int_eq(stat(at("rel/one"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* A file in the way is an error, not success. */
START_TEST(t_mkdir_p_file_in_way)
{
	put("f", "x", 1);
	errno = 0;
	ck_assert_int_eq(mkdir_p(at("f/sub"), 0755), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	errno = 0;
	ck_assert_int_eq(mkdir_p(at("f"), 0755), -1);
	ck_assert_int_eq(errno, EEXIST);
	errno = 0;
	ck_assert_int_eq(mkdir_p("", 0755), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static Suite *
fileio_suite(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("fileio");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_write_read_pipe);
	tcase_add_test(tc, t_write_all_interrupted);
	tcase_add_test(tc, t_write_all_epipe);
	tcase_add_test(tc, t_read_max);
	tcase_add_test(tc, t_read_max_large);
	tcase_add_test(tc, t_read_appends);
	tcase_add_test(tc, t_read_empty);
	tcase_add_test(tc, t_read_errors);
	tcase_add_test(tc, t_fsync_dir);
	tcase_add_test(tc, t_fsync_parent);
	tcase_add_test(tc, t_atomic_new);
	tcase_add_test(tc, t_atomic_replace_existing);
	tcase_add_test(tc, t_atomic_unwritable_dir);
	tcase_add_test(tc, t_atomic_write_fails);
	tcase_add_test(tc, t_atomic_onto_dir);
	tcase_add_test(tc, t_atomic_missing_dir);
	tcase_add_test(tc, t_atomic_pair);
	tcase_add_test(tc, t_move_noreplace);
	tcase_add_test(tc, t_uniq_format);
	tcase_add_test(tc, t_uniq_many);
	tcase_add_test(tc, t_uniq_fork);
	tcase_add_test(tc, t_safe_hostname);
	tcase_add_test(tc, t_mkdir_p_nested);
	tcase_add_test(tc, t_mkdir_p_slashes);
	tcase_add_test(tc, t_mkdir_p_file_in_way);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(fileio_suite)
