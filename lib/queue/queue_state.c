/*
 * queue_state: the per-recipient state file and a queued message as
 * queue-run opens, saves and removes it (queue.h).
 */
/* memmem() */
#define _GNU_SOURCE

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/array.h"
#include "base/fileio.h"
#include "queue/qline.h"
#include "queue/queue.h"

/*
 * Per-recipient state
 */

static const char *const rnames[] = { "pending", "deferred", "routed",
	"failed" };
static const char *const tnames[] = { "pending", "done", "deferred",
	"failed", "remote" };

const char *
queue_rstate_name(enum queue_rstate s)
{
	return (unsigned)s < 4 ? rnames[s] : "?";
}

const char *
queue_tstate_name(enum queue_tstate s)
{
	return (unsigned)s < 5 ? tnames[s] : "?";
}

int
queue_state_init(struct queue_state *st, size_t n)
{
	st->n = 0;
	st->r = NULL;
	if (n > 0 && (st->r = calloc(n, sizeof(*st->r))) == NULL)
		return -1;
	st->n = n;
	return 0;
}

static void
target_free(struct queue_target *t)
{
	free(t->address);
	free(t->account);
	free(t->error);
}

void
queue_state_free(struct queue_state *st)
{
	size_t i, j;

	for (i = 0; i < st->n; i++) {
		for (j = 0; j < st->r[i].nt; j++)
			target_free(&st->r[i].t[j]);
		free(st->r[i].t);
		free(st->r[i].error);
	}
	free(st->r);
	st->r = NULL;
	st->n = 0;
}

int
queue_state_add_target(struct queue_rstate_rec *r, int remote,
    const char *address, const char *account)
{
	struct queue_target *t;

	if (r->nt >= 100000) {
		errno = E2BIG;
		return -1;
	}
	if ((t = array_ready(r->t, &r->capt, r->nt + 1, sizeof(*t))) ==
	    NULL)
		return -1;
	r->t = t;
	t = &r->t[r->nt];
	memset(t, 0, sizeof(*t));
	t->remote = remote;
	t->state = remote ? QT_REMOTE : QT_PENDING;
	if (qline_setstr(&t->address, address) == -1 ||
	    qline_setstr(&t->account, account) == -1) {
		target_free(t);
		return -1;
	}
	r->nt++;
	return 0;
}

/* The fields common to recipients and targets. */
static int
put_common(struct buf *b, unsigned attempts, time_t last, time_t next,
    const char *error, unsigned dsn)
{
	if ((attempts && qline_num(b, "attempts", attempts) == -1) ||
	    (last && qline_num(b, "last", (long long)last) == -1) ||
	    (next && qline_num(b, "next", (long long)next) == -1) ||
	    (error && qline_put(b, "error", error) == -1))
		return -1;
	if (dsn == 0)
		return 0;
	/* the notifications issued, by name: "failed,success,delay" */
	if (buf_puts(b, "dsn ") == -1 ||
	    ((dsn & QDSN_FAILED) && buf_puts(b, "failed,") == -1) ||
	    ((dsn & QDSN_SUCCESS) && buf_puts(b, "success,") == -1) ||
	    ((dsn & QDSN_DELAY) && buf_puts(b, "delay,") == -1))
		return -1;
	b->s[b->len - 1] = '\n';
	return 0;
}

/* "failed,success,delay" to QDSN_* bits: 0, or -1 (EINVAL). */
static int
dsn_parse(const char *s, unsigned *bits)
{
	const char *p, *c;
	size_t n;

	*bits = 0;
	for (p = s;; p = c + 1) {
		c = strchr(p, ',');
		n = c ? (size_t)(c - p) : strlen(p);
		if (n == 6 && memcmp(p, "failed", 6) == 0)
			*bits |= QDSN_FAILED;
		else if (n == 7 && memcmp(p, "success", 7) == 0)
			*bits |= QDSN_SUCCESS;
		else if (n == 5 && memcmp(p, "delay", 5) == 0)
			*bits |= QDSN_DELAY;
		else {
			errno = EINVAL;
			return -1;
		}
		if (c == NULL)
			return 0;
	}
}

int
queue_state_format(const struct queue_state *st, struct buf *b)
{
	const struct queue_rstate_rec *r;
	const struct queue_target *t;
	size_t i, j;

	if (buf_puts(b, QLINE_STATE_MAGIC "\n") == -1)
		return -1;
	for (i = 0; i < st->n; i++) {
		r = &st->r[i];
		if (r->state == QR_PENDING && r->nt == 0 && r->attempts == 0 &&
		    r->dsn == 0)
			continue;
		if (qline_num(b, "rcpt", (long long)i) == -1 ||
		    qline_put(b, "state", rnames[r->state]) == -1 ||
		    put_common(b, r->attempts, r->last, r->next, r->error,
		    r->dsn) == -1)
			return -1;
		for (j = 0; j < r->nt; j++) {
			t = &r->t[j];
			if (qline_put(b, "target", t->address) == -1 ||
			    qline_put(b, "kind", t->remote ? "remote" :
			    "local") == -1 ||
			    (t->account &&
			    qline_put(b, "account", t->account) == -1) ||
			    qline_put(b, "state", tnames[t->state]) == -1 ||
			    put_common(b, t->attempts, t->last, t->next,
			    t->error, t->dsn) == -1)
				return -1;
		}
	}
	return 0;
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
queue_state_parse(struct queue_state *st, const char *p, size_t n)
{
	const char *end = p + n, *k, *v;
	struct queue_rstate_rec *r = NULL;
	struct queue_target *t = NULL;
	struct buf val = BUF_INIT;
	size_t kl, vl, idx, next_idx = 0;
	unsigned *attempts, *dsn;
	time_t *last, *next;
	char **error;
	int c, save;

	if (n < sizeof(QLINE_STATE_MAGIC) ||
	    memcmp(p, QLINE_STATE_MAGIC "\n", sizeof(QLINE_STATE_MAGIC)) != 0)
		goto bad;
	p += sizeof(QLINE_STATE_MAGIC);
	while (p < end) {
		if (qline_next(&p, end, &k, &kl, &v, &vl) != 1)
			goto bad;
		if (qline_value(&val, v, vl) == -1)
			goto fail;
		if (qline_key(k, kl, "rcpt")) {
			if (qline_index(val.s, val.len, &idx) == -1 ||
			    idx < next_idx || idx >= st->n)
				goto bad;
			next_idx = idx + 1;
			r = &st->r[idx];
			t = NULL;
			continue;
		}
		if (r == NULL)
			goto bad;
		if (qline_key(k, kl, "target")) {
			if (queue_state_add_target(r, 0, val.s, NULL) == -1)
				goto fail;
			t = &r->t[r->nt - 1];
			continue;
		}
		attempts = t ? &t->attempts : &r->attempts;
		last = t ? &t->last : &r->last;
		next = t ? &t->next : &r->next;
		error = t ? &t->error : &r->error;
		dsn = t ? &t->dsn : &r->dsn;
		if (qline_key(k, kl, "state")) {
			if (t == NULL) {
				if ((c = name_index(rnames, 4, val.s)) == -1)
					goto bad;
				r->state = (enum queue_rstate)c;
			} else {
				if ((c = name_index(tnames, 5, val.s)) == -1)
					goto bad;
				t->state = (enum queue_tstate)c;
			}
		} else if (qline_key(k, kl, "kind") && t != NULL) {
			if (strcmp(val.s, "remote") == 0)
				t->remote = 1;
			else if (strcmp(val.s, "local") == 0)
				t->remote = 0;
			else
				goto bad;
		} else if (qline_key(k, kl, "account") && t != NULL) {
			if (qline_setstr(&t->account, val.s) == -1)
				goto fail;
		} else if (qline_key(k, kl, "attempts")) {
			if (qline_uint(v, vl, attempts) == -1)
				goto fail;
		} else if (qline_key(k, kl, "last")) {
			if (qline_time(v, vl, last) == -1)
				goto fail;
		} else if (qline_key(k, kl, "next")) {
			if (qline_time(v, vl, next) == -1)
				goto fail;
		} else if (qline_key(k, kl, "error")) {
			if (qline_setstr(error, val.s) == -1)
				goto fail;
		} else if (qline_key(k, kl, "dsn")) {
			if (dsn_parse(val.s, dsn) == -1)
				goto fail;
		} else
			goto bad;
	}
	/* a local target needs its account */
	for (idx = 0; idx < st->n; idx++)
		for (kl = 0; kl < st->r[idx].nt; kl++)
			if (!st->r[idx].t[kl].remote &&
			    st->r[idx].t[kl].account == NULL)
				goto bad;
	buf_free(&val);
	return 0;
bad:
	errno = EINVAL;
fail:
	save = errno;
	buf_free(&val);
	errno = save;
	return -1;
}

/*
 * A queued message
 */

int
queue_msg_open(struct queue *q, const char *id, int flags,
    struct queue_msg *m)
{
	struct buf head = BUF_INIT;
	struct stat st;
	size_t used;
	ssize_t r;
	int save, fd;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	queue_env_init(&m->env);
	if (!queue_id_ok(id)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(m->id, id, strlen(id) + 1);
	if ((m->fd = openat(q->messfd, id, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return -1;
	}
	if (flags & QOPEN_LOCK) {
		while (flock(m->fd, LOCK_EX | ((flags & QOPEN_WAIT) ? 0 :
		    LOCK_NB)) == -1) {
			if (errno != EINTR)
				goto fail;
		}
	}
	if (fstat(m->fd, &st) == -1)
		goto fail;
	if (st.st_nlink == 0) {	/* removed (delivered or dropped) */
		queue_msg_close(m);
		return 0;
	}
	/* the head: read until its empty line, bounded */
	for (;;) {
		if (buf_ready(&head, QLINE_IO_BLOCK) == -1)
			goto fail;
		r = pread(m->fd, head.s + head.len, QLINE_IO_BLOCK,
		    (off_t)head.len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		head.len += (size_t)r;
		head.s[head.len] = '\0';
		if (r == 0 || memmem(head.s, head.len, "\n\n", 2) != NULL ||
		    head.len > QUEUE_HEAD_MAX)
			break;
	}
	if (queue_env_parse(&m->env, head.s, head.len, &used) == -1) {
		if (errno == EINVAL)
			m->damaged = QUEUE_DAMAGED_HEAD;
		goto fail;
	}
	m->off = (off_t)used;
	m->size = st.st_size - m->off;
	if (queue_state_init(&m->st, m->env.nrcpt) == -1)
		goto fail;
	buf_reset(&head);
	if (q->envfd == -1) {
		errno = EACCES;		/* env/ could not be opened */
		goto fail;
	}
	fd = openat(q->envfd, id, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		goto fail;
	if (fd != -1) {
		r = read_all(fd, &head, QUEUE_HEAD_MAX);
		save = errno;
		close(fd);
		errno = save;
		if (r == -1 && errno == EFBIG)
			errno = EINVAL;		/* past QUEUE_HEAD_MAX */
		if (r == 0 && queue_state_parse(&m->st, head.s, head.len) ==
		    -1)
			r = -1;
		if (r == -1) {
			if (errno == EINVAL)
				m->damaged = QUEUE_DAMAGED_STATE;
			goto fail;
		}
		m->has_state = 1;
	}
	buf_free(&head);
	return 1;
fail:
	save = errno;
	buf_free(&head);
	queue_msg_close(m);
	errno = save;
	return -1;
}

void
queue_msg_close(struct queue_msg *m)
{
	if (m->fd != -1)
		close(m->fd);	/* releases the lock */
	m->fd = -1;
	queue_env_free(&m->env);
	queue_state_free(&m->st);
}

int
queue_msg_rewind(struct queue_msg *m)
{
	return lseek(m->fd, m->off, SEEK_SET) == (off_t)-1 ? -1 : 0;
}

int
queue_msg_save(struct queue *q, struct queue_msg *m)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	int r = -1, save;

	if (queue_state_format(&m->st, &text) == -1 ||
	    buf_printf(&path, "%s/env/%s", q->dir, m->id) == -1)
		goto out;
	/* tmp in env/, fsync, rename over, fsync env/ (lib/fileio.h) */
	if (atomic_replace(path.s, text.s, text.len, QUEUE_MODE_ENV) == -1)
		goto out;
	m->has_state = 1;
	r = 0;
out:
	save = errno;
	buf_free(&text);
	buf_free(&path);
	errno = save;
	return r;
}

int
queue_msg_remove(struct queue *q, struct queue_msg *m)
{
	/*
	 * From here the message is gone for queue-run, whatever crashes.
	 * The removal is not forced to disk: an fsync of mess/ here would
	 * be a third of queue-run's per-message cost (DESIGN.md section
	 * 10), and only a system crash before the filesystem's next commit
	 * (the next injection's fsync of mess/, or a few seconds) can bring
	 * the file back, to be delivered again: queue-run(8), the
	 * at-most-once window.  Nothing can be lost that way.
	 */
	if (unlinkat(q->messfd, m->id, 0) == -1 && errno != ENOENT)
		return -1;
	if (unlinkat(q->envfd, m->id, 0) == -1 && errno != ENOENT)
		return -1;
	m->has_state = 0;
	return 0;
}
