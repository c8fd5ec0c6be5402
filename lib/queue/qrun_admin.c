/* qrun_admin: the administrator's operations (queue(8)); see qrun.h. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue/qrun.h"

/*
 * The administrator's operations
 */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
qrun_ids(struct queue *q, struct buf *ids, size_t *n_r)
{
	struct buf names = BUF_INIT;
	struct dirent *de;
	char **v = NULL, *p;
	size_t n = 0, i;
	DIR *d;
	int fd, save, r = -1;

	*n_r = 0;
	buf_reset(ids);
	if ((fd = dup(q->messfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!queue_id_ok(de->d_name))
			continue;
		if (buf_put(&names, de->d_name, strlen(de->d_name) + 1) == -1)
			goto out;
		n++;
		errno = 0;
	}
	if (errno != 0)
		goto out;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		goto out;
	for (i = 0, p = names.s; i < n; i++, p += strlen(p) + 1)
		v[i] = p;
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (buf_put(ids, v[i], strlen(v[i]) + 1) == -1)
			goto out;
	*n_r = n;
	r = 0;
out:
	save = errno;
	closedir(d);
	free(v);
	buf_free(&names);
	errno = save;
	return r;
}

/* "2d3h", "5m", "40s" */
static int
put_age(struct buf *b, long s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		return buf_printf(b, "%ldd%ldh", s / 86400, s % 86400 / 3600);
	if (s >= 3600)
		return buf_printf(b, "%ldh%ldm", s / 3600, s % 3600 / 60);
	if (s >= 60)
		return buf_printf(b, "%ldm", s / 60);
	return buf_printf(b, "%lds", s);
}

static int
put_kv(struct buf *b, const char *key, const char *v)
{
	if (buf_printf(b, " %s=", key) == -1)
		return -1;
	return queue_escape(b, v, strlen(v));
}

static int
put_when(struct buf *b, time_t when, time_t now)
{
	if (buf_puts(b, " next=") == -1)
		return -1;
	if (when <= now)
		return buf_puts(b, "now");
	if (buf_puts(b, "in-") == -1)
		return -1;
	return put_age(b, (long)(when - now));
}

const char *
qrun_damage_text(const char *damaged)
{
	if (damaged != NULL && strcmp(damaged, QUEUE_DAMAGED_STATE) == 0)
		return "malformed state file";
	return "malformed envelope head";
}

/*
 * queue_msg_open's result for the administrator: a damaged file is
 * QRUN_DAMAGED, not an error of the command (queue(8)).
 */
static int
open_msg(struct queue *q, const char *id, int flags, struct queue_msg *m,
    const char **damaged_r)
{
	int o;

	if (damaged_r != NULL)
		*damaged_r = NULL;
	o = queue_msg_open(q, id, flags, m);
	if (o == -1 && errno == EINVAL && m->damaged != NULL) {
		if (damaged_r != NULL)
			*damaged_r = m->damaged;
		return QRUN_DAMAGED;
	}
	return o;
}

int
qrun_list(struct queue *q, const char *id, time_t now, struct buf *b,
    const char **damaged_r)
{
	struct queue_msg m;
	struct queue_rstate_rec *r;
	struct queue_target *t;
	const char *damaged;
	size_t i, j;
	int o, save;

	o = open_msg(q, id, 0, &m, &damaged);
	if (damaged_r != NULL)
		*damaged_r = damaged;
	if (o == QRUN_DAMAGED) {
		/* the id is all there is to go by: its time is the age */
		if (buf_printf(b, "%s age=", id) == -1 ||
		    put_age(b, (long)(now - queue_id_time(id))) == -1 ||
		    buf_printf(b, " damaged=%s/%s error=%s\n", damaged, id,
		    qrun_damage_text(damaged)) == -1)
			return -1;
		return o;
	}
	if (o != 1)
		return o;
	if (buf_printf(b, "%s age=", id) == -1 ||
	    put_age(b, (long)(now - m.env.time)) == -1 ||
	    buf_printf(b, " size=%lld from=<", (long long)m.size) == -1 ||
	    queue_escape(b, m.env.sender, strlen(m.env.sender)) == -1 ||
	    buf_puts(b, ">") == -1)
		goto fail;
	if (m.env.hold_until > now && (buf_puts(b, " held-until") == -1 ||
	    put_when(b, m.env.hold_until, now) == -1))
		goto fail;
	if (buf_putc(b, '\n') == -1)
		goto fail;
	for (i = 0; i < m.st.n; i++) {
		r = &m.st.r[i];
		if (buf_puts(b, "\trcpt=<") == -1 ||
		    queue_escape(b, m.env.rcpt[i].addr,
		    strlen(m.env.rcpt[i].addr)) == -1 ||
		    buf_printf(b, "> state=%s", queue_rstate_name(r->state)) ==
		    -1)
			goto fail;
		if (r->state == QR_DEFERRED &&
		    (buf_printf(b, " attempts=%u", r->attempts) == -1 ||
		    put_when(b, r->next, now) == -1))
			goto fail;
		if (r->error != NULL && put_kv(b, "error", r->error) == -1)
			goto fail;
		if (buf_putc(b, '\n') == -1)
			goto fail;
		for (j = 0; j < r->nt; j++) {
			t = &r->t[j];
			if (buf_puts(b, "\t\tto=<") == -1 ||
			    queue_escape(b, t->address, strlen(t->address)) ==
			    -1 || buf_puts(b, ">") == -1 ||
			    (t->account && put_kv(b, "account", t->account) ==
			    -1) ||
			    buf_printf(b, " state=%s",
			    queue_tstate_name(t->state)) == -1)
				goto fail;
			if (t->state == QT_DEFERRED &&
			    (buf_printf(b, " attempts=%u", t->attempts) == -1 ||
			    put_when(b, t->next, now) == -1))
				goto fail;
			if (t->error != NULL && put_kv(b, "error", t->error) ==
			    -1)
				goto fail;
			if (buf_putc(b, '\n') == -1)
				goto fail;
		}
	}
	queue_msg_close(&m);
	return 1;
fail:
	save = errno;
	queue_msg_close(&m);
	errno = save;
	return -1;
}

int
qrun_kick(struct queue *q, const char *id, time_t now,
    const char **damaged_r)
{
	struct queue_msg m;
	struct queue_rstate_rec *r;
	size_t i, j;
	int o, save, changed = 0;

	if ((o = open_msg(q, id, QOPEN_LOCK, &m, damaged_r)) != 1)
		return o;
	for (i = 0; i < m.st.n; i++) {
		r = &m.st.r[i];
		if (r->state == QR_DEFERRED && r->next > now) {
			r->next = now;
			changed = 1;
		}
		for (j = 0; j < r->nt; j++)
			if (r->t[j].state == QT_DEFERRED &&
			    r->t[j].next > now) {
				r->t[j].next = now;
				changed = 1;
			}
	}
	if (changed && queue_msg_save(q, &m) == -1) {
		save = errno;
		queue_msg_close(&m);
		errno = save;
		return -1;
	}
	queue_msg_close(&m);
	return 1;
}

int
qrun_drop(struct queue *q, const char *id)
{
	struct queue_msg m;
	int o, save;

	/* the lock waits for a delivery under way to finish */
	if ((o = queue_msg_open(q, id, QOPEN_LOCK | QOPEN_WAIT, &m)) == -1 &&
	    errno == EINVAL && queue_id_ok(id)) {
		/* a damaged file can be dropped all the same */
		memset(&m, 0, sizeof(m));
		m.fd = -1;
		memcpy(m.id, id, strlen(id) + 1);
		o = 1;
	}
	if (o != 1)
		return o;
	if (queue_msg_remove(q, &m) == -1) {
		save = errno;
		queue_msg_close(&m);
		errno = save;
		return -1;
	}
	queue_msg_close(&m);
	(void)queue_trigger(q, id);
	return 1;
}
