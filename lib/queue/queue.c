/*
 * queue: queue ids and the retry schedule, the layout, the trigger, and
 * injection (queue.h; the envelope is in queue_env.c, the state in
 * queue_state.c).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "queue/qline.h"
#include "queue/queue.h"

#define ID_TRIES	10

static int	flush_out(struct queue_inject *);
static int	opendir_at(int, const char *);

/*
 * Queue ids and the retry schedule
 */

int
queue_id_new(struct buf *b)
{
	static unsigned long seq;
	struct timeval tv;

	if (gettimeofday(&tv, NULL) == -1)
		return -1;
	buf_reset(b);
	return buf_printf(b, "%010lld.%06ld.%ld.%lu", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++seq);
}

/* n digits (n > 0: exactly; n < 0: 1 to -n) then c; advance *s. */
static int
digits(const char **s, int n, char c)
{
	const char *p = *s;
	int i = 0, max = n < 0 ? -n : n;

	while (*p >= '0' && *p <= '9' && i < max) {
		p++;
		i++;
	}
	if (i == 0 || (n > 0 && i != n) || *p != c)
		return 0;
	*s = c == '\0' ? p : p + 1;
	return 1;
}

int
queue_id_ok(const char *id)
{
	const char *p = id;

	return strlen(id) <= QUEUE_ID_MAX && digits(&p, 10, '.') &&
	    digits(&p, 6, '.') && digits(&p, -10, '.') &&
	    digits(&p, -20, '\0');
}

time_t
queue_id_time(const char *id)
{
	time_t t = 0;
	int i;

	if (!queue_id_ok(id))
		return 0;
	for (i = 0; i < 10; i++)
		t = t * 10 + (id[i] - '0');
	return t;
}

long
queue_backoff(unsigned attempts)
{
	static const long sched[] = { 900, 1800, 3600, 7200, 14400 };

	if (attempts == 0)
		return 0;
	if (attempts <= sizeof(sched) / sizeof(sched[0]))
		return sched[attempts - 1];
	return 28800;
}

/*
 * The layout
 */

const char *
queue_dir(void)
{
	const char *d = getenv("POSTERN_QUEUE");

	return d != NULL && *d != '\0' ? d : QUEUE_DEFAULT_DIR;
}

/* mkdir with mode (set exactly, past the umask) unless it exists. */
static int
make_dir(const char *path, mode_t mode, int *made)
{
	struct stat st;

	if (mkdir(path, mode & 0777) == 0) {
		*made = 1;
		return chmod(path, mode);
	}
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	/* a queue made by an earlier version (tmp/ and mess/ were the
	 * group's, 02770) gets today's modes */
	if ((st.st_mode & 07777) != mode && chmod(path, mode) == -1)
		return -1;
	return 0;
}

int
queue_create(const char *dir)
{
	static const struct { const char *name; mode_t mode; } subs[] = {
		{ "tmp", QUEUE_MODE_PRIVATE },
		{ "mess", QUEUE_MODE_PRIVATE },
		{ "env", QUEUE_MODE_PRIVATE },
		{ "spool", QUEUE_MODE_SPOOL },
	};
	struct buf p = BUF_INIT;
	struct stat st;
	size_t i;
	int made = 0, top = 0, r = -1, save;

	if (dir == NULL)
		dir = queue_dir();
	if (buf_puts(&p, dir) == -1)
		return -1;
	/* the parents as mkdir -p makes them; the queue itself with its mode */
	while (p.len > 1 && p.s[p.len - 1] == '/')
		buf_truncate(&p, p.len - 1);
	if (strrchr(p.s, '/') != NULL && strrchr(p.s, '/') != p.s) {
		*strrchr(p.s, '/') = '\0';
		if (mkdir_p(p.s, 0755) == -1)
			goto out;
		buf_reset(&p);
		if (buf_puts(&p, dir) == -1)
			goto out;
	}
	if (make_dir(p.s, QUEUE_MODE_TOP, &top) == -1)
		goto out;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		buf_reset(&p);
		if (buf_printf(&p, "%s/%s", dir, subs[i].name) == -1 ||
		    make_dir(p.s, subs[i].mode, &made) == -1)
			goto out;
	}
	buf_reset(&p);
	if (buf_printf(&p, "%s/trigger", dir) == -1)
		goto out;
	if (mkfifo(p.s, QUEUE_MODE_TRIGGER) == 0) {
		made = 1;
		if (chmod(p.s, QUEUE_MODE_TRIGGER) == -1)
			goto out;
	} else if (errno != EEXIST)
		goto out;
	else if (lstat(p.s, &st) == -1)
		goto out;
	else if (!S_ISFIFO(st.st_mode)) {
		errno = EEXIST;
		goto out;
	}
	if ((made || top) && fsync_dir(dir) == -1)
		goto out;
	if (top && fsync_parent(dir) == -1)
		goto out;
	r = 0;
out:
	save = errno;
	buf_free(&p);
	errno = save;
	return r;
}

static int
opendir_at(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
queue_open(struct queue *q, const char *dir)
{
	int save;

	memset(q, 0, sizeof(*q));
	q->dfd = q->tmpfd = q->messfd = q->envfd = -1;
	if (dir == NULL)
		dir = queue_dir();
	if ((q->dir = strdup(dir)) == NULL)
		return -1;
	/* env/ is the queue user's alone: an injector (in the queue's
	 * group) needs only tmp/, mess/ and the trigger */
	if ((q->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (q->tmpfd = opendir_at(q->dfd, "tmp")) == -1 ||
	    (q->messfd = opendir_at(q->dfd, "mess")) == -1 ||
	    ((q->envfd = opendir_at(q->dfd, "env")) == -1 &&
	    errno != EACCES)) {
		save = errno;
		queue_close(q);
		errno = save;
		return -1;
	}
	return 0;
}

void
queue_close(struct queue *q)
{
	if (q->dfd != -1)
		close(q->dfd);
	if (q->tmpfd != -1)
		close(q->tmpfd);
	if (q->messfd != -1)
		close(q->messfd);
	if (q->envfd != -1)
		close(q->envfd);
	free(q->dir);
	q->dir = NULL;
	q->dfd = q->tmpfd = q->messfd = q->envfd = -1;
}

int
queue_trigger(struct queue *q, const char *id)
{
	char line[QUEUE_ID_MAX + 2];
	size_t n = 0;
	ssize_t w;
	int fd, save;

	if (id != NULL) {
		n = strlen(id);
		if (n > QUEUE_ID_MAX) {
			errno = EINVAL;
			return -1;
		}
		memcpy(line, id, n);
	}
	line[n++] = '\n';
	fd = openat(q->dfd, "trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return errno == ENXIO ? 0 : -1;	/* ENXIO: no reader */
	/* at most PIPE_BUF bytes: written whole or not at all */
	do
		w = write(fd, line, n);
	while (w == -1 && errno == EINTR);
	save = errno;
	close(fd);
	if (w == -1 && save != EAGAIN) {
		errno = save;
		return -1;
	}
	return 0;
}

/*
 * Injection
 */

int
queue_storage_full(int err)
{
	return err == ENOSPC || err == EDQUOT;
}

/* write_all, with the system's EFBIG (RLIMIT_FSIZE) as EDQUOT: EFBIG
 * means our size limit only. */
static int
put_file(int fd, const void *p, size_t n)
{
	if (write_all(fd, p, n) == -1) {
		if (errno == EFBIG)
			errno = EDQUOT;
		return -1;
	}
	return 0;
}

static int
flush_out(struct queue_inject *i)
{
	if (i->out.len == 0)
		return 0;
	if (put_file(i->fd, i->out.s, i->out.len) == -1)
		return -1;
	buf_reset(&i->out);
	return 0;
}

int
queue_inject_begin(struct queue *q, const struct queue_env *env,
    size_t max, struct queue_inject *i)
{
	struct queue_env e = *env;
	int tries, save;

	i->q = q;
	i->fd = -1;
	i->size = 0;
	i->max = max;
	memset(&i->id, 0, sizeof(i->id));
	memset(&i->out, 0, sizeof(i->out));
	for (tries = 0;; tries++) {
		if (queue_id_new(&i->id) == -1)
			goto fail;
		i->fd = openat(q->tmpfd, i->id.s, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, QUEUE_MODE_MESS);
		if (i->fd != -1)
			break;
		if (errno != EEXIST || tries + 1 >= ID_TRIES)
			goto fail;
	}
	/* the mode is the queue's, whatever the injector's umask */
	e.time = queue_id_time(i->id.s);
	if (fchmod(i->fd, QUEUE_MODE_MESS) == -1 ||
	    buf_ready(&i->out, QLINE_IO_BLOCK) == -1 ||
	    queue_env_format(&e, &i->out) == -1)
		goto fail;
	return 0;
fail:
	save = errno;
	queue_inject_abort(i);
	errno = save;
	return -1;
}

int
queue_inject_write(struct queue_inject *i, const void *p, size_t n)
{
	size_t total;

	if (size_add(i->size, n, &total) == -1 ||
	    (i->max > 0 && total > i->max)) {
		errno = EFBIG;
		return -1;
	}
	i->size = total;
	if (i->out.len + n > QLINE_IO_BLOCK) {
		if (flush_out(i) == -1)
			return -1;
		if (n >= QLINE_IO_BLOCK)
			return put_file(i->fd, p, n);
	}
	return buf_put(&i->out, p, n);
}

int
queue_inject_fd(struct queue_inject *i, int fd)
{
	char b[QLINE_IO_BLOCK];
	ssize_t r;

	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		if (queue_inject_write(i, b, (size_t)r) == -1)
			return -1;
	}
}

int
queue_inject_commit(struct queue_inject *i, struct buf *id_r)
{
	struct buf id = BUF_INIT;
	int tries, save, r;

	if (flush_out(i) == -1 || fsync(i->fd) == -1)
		goto fail;
	r = close(i->fd);
	i->fd = -1;
	if (r == -1)
		goto fail;
	/* the atomic step: from here the message is queued */
	if (buf_set(&id, i->id.s, i->id.len) == -1)
		goto fail;
	for (tries = 0;; tries++) {
		if (move_noreplace(i->q->tmpfd, i->id.s, i->q->messfd, id.s) ==
		    0)
			break;
		if (errno != EEXIST || tries + 1 >= ID_TRIES)
			goto fail;
		if (queue_id_new(&id) == -1)
			goto fail;
	}
	if (fsync(i->q->messfd) == -1) {
		/* not durable: take it back, the injector will retry */
		save = errno;
		(void)unlinkat(i->q->messfd, id.s, 0);
		errno = save;
		goto fail;
	}
	if (queue_trigger(i->q, id.s) == -1)
		log_debug("%s trigger: %s", id.s, strerror(errno));
	if (id_r != NULL && buf_set(id_r, id.s, id.len) == -1) {
		/* queued all the same */
		buf_reset(id_r);
	}
	buf_free(&id);
	buf_free(&i->out);
	buf_free(&i->id);
	return 0;
fail:
	save = errno;
	buf_free(&id);
	queue_inject_abort(i);
	errno = save;
	return -1;
}

void
queue_inject_abort(struct queue_inject *i)
{
	int save = errno;

	if (i->fd != -1)
		close(i->fd);
	i->fd = -1;
	if (i->id.s != NULL && i->q != NULL)
		(void)unlinkat(i->q->tmpfd, i->id.s, 0);
	buf_free(&i->out);
	buf_free(&i->id);
	errno = save;
}
