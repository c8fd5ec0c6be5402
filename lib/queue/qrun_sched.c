/* qrun_sched: the scheduler and workers of queue-run; see qrun.h. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/array.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/rd.h"
#include "queue/qrun.h"

/*
 * The scheduler: a hash of known messages and a heap by next try.
 */

struct entry {
	char		 id[QUEUE_ID_MAX + 1];
	time_t		 next;
	int		 busy, again;
	size_t		 hpos;		/* in the heap, or NOPOS */
	struct entry	*hnext;
};

#define NOPOS	((size_t)-1)

struct sched {
	struct entry	**heap;
	size_t		 nheap, capheap;
	struct entry	**bucket;
	size_t		 nbucket, n;
};

struct worker {
	pid_t		 pid;
	int		 job, res;	/* pipes: jobs to it, results back */
	struct entry	*cur;
	char		 rbuf[256];
	size_t		 rlen;
};

static int		sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_chld, got_hup;

static size_t
hash(const char *s, size_t n)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % n;
}

static struct entry *
sched_find(struct sched *s, const char *id)
{
	struct entry *e;

	if (s->nbucket == 0)
		return NULL;
	for (e = s->bucket[hash(id, s->nbucket)]; e != NULL; e = e->hnext)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static int
sched_grow(struct sched *s)
{
	struct entry **nb, *e, *nx;
	size_t nn, i, h;

	nn = s->nbucket ? s->nbucket * 2 : 1024;
	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = nx) {
			nx = e->hnext;
			h = hash(e->id, nn);
			e->hnext = nb[h];
			nb[h] = e;
		}
	free(s->bucket);
	s->bucket = nb;
	s->nbucket = nn;
	return 0;
}

static int
heap_less(struct sched *s, size_t a, size_t b)
{
	return s->heap[a]->next < s->heap[b]->next;
}

static void
heap_swap(struct sched *s, size_t a, size_t b)
{
	struct entry *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->hpos = a;
	s->heap[b]->hpos = b;
}

static void
heap_fix(struct sched *s, size_t i)
{
	size_t l, c;

	while (i > 0 && heap_less(s, i, (i - 1) / 2)) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		l = 2 * i + 1;
		if (l >= s->nheap)
			break;
		c = l + 1 < s->nheap && heap_less(s, l + 1, l) ? l + 1 : l;
		if (!heap_less(s, c, i))
			break;
		heap_swap(s, i, c);
		i = c;
	}
}

static void
heap_remove(struct sched *s, struct entry *e)
{
	size_t i = e->hpos;

	if (i == NOPOS)
		return;
	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->hpos = i;
		heap_fix(s, i);
	}
	e->hpos = NOPOS;
}

/* Schedule e at next (in the heap unless busy). */
static int
sched_set(struct sched *s, struct entry *e, time_t next)
{
	struct entry **h;

	e->next = next;
	if (e->busy)
		return 0;
	if (next == QRUN_NEVER) {
		/* parked: known, but nothing to do until kicked */
		heap_remove(s, e);
		return 0;
	}
	if (e->hpos != NOPOS) {
		heap_fix(s, e->hpos);
		return 0;
	}
	if ((h = array_ready(s->heap, &s->capheap, s->nheap + 1,
	    sizeof(*h))) == NULL)
		return -1;
	s->heap = h;
	e->hpos = s->nheap;
	s->heap[s->nheap++] = e;
	heap_fix(s, e->hpos);
	return 0;
}

static struct entry *
sched_add(struct sched *s, const char *id)
{
	struct entry *e;
	size_t h;

	if (s->n >= s->nbucket && sched_grow(s) == -1)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->id, id, strlen(id) + 1);
	e->hpos = NOPOS;
	h = hash(id, s->nbucket);
	e->hnext = s->bucket[h];
	s->bucket[h] = e;
	s->n++;
	return e;
}

static void
sched_del(struct sched *s, struct entry *e)
{
	struct entry **pp;

	heap_remove(s, e);
	for (pp = &s->bucket[hash(e->id, s->nbucket)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	s->n--;
	free(e);
}

static void
sched_free(struct sched *s)
{
	struct entry *e, *nx;
	size_t i;

	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = nx) {
			nx = e->hnext;
			free(e);
		}
	free(s->bucket);
	free(s->heap);
	memset(s, 0, sizeof(*s));
}

/* Make id due now (after the current run when busy). */
static int
sched_now(struct sched *s, const char *id, time_t now)
{
	struct entry *e;

	if ((e = sched_find(s, id)) == NULL && (e = sched_add(s, id)) == NULL)
		return -1;
	if (e->busy) {
		e->again = 1;
		return 0;
	}
	return sched_set(s, e, now);
}

/* Everything known due now. */
static int
sched_all_now(struct sched *s, time_t now)
{
	struct entry *e;
	size_t i;

	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = e->hnext) {
			if (e->busy)
				e->again = 1;
			else if (sched_set(s, e, now) == -1)
				return -1;
		}
	return 0;
}

/*
 * The full scan: every message in mess/ not known yet is due now.  Stale
 * files go: tmp/ files older than QUEUE_TMP_MAXAGE (an injection that
 * died), env/ files whose message is gone, and stale temporaries there.
 */
static int
scan(struct queue *q, struct sched *s, time_t now)
{
	struct dirent *de;
	struct entry *e, *nx;
	struct stat st;
	size_t i;
	DIR *d;
	int fd, r = 0;

	if ((fd = dup(q->messfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (queue_id_ok(de->d_name) &&
		    sched_find(s, de->d_name) == NULL &&
		    sched_now(s, de->d_name, now) == -1)
			r = -1;
	closedir(d);
	/* parked messages removed by others (queue drop, remote delivery) */
	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = nx) {
			nx = e->hnext;
			if (!e->busy && e->next == QRUN_NEVER &&
			    faccessat(q->messfd, e->id, F_OK, 0) == -1 &&
			    errno == ENOENT)
				sched_del(s, e);
		}
	if ((fd = dup(q->tmpfd)) != -1 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || fstatat(q->tmpfd,
			    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
				continue;
			if (now - st.st_mtime > QUEUE_TMP_MAXAGE &&
			    unlinkat(q->tmpfd, de->d_name, 0) == 0)
				log_info("removed stale tmp/%s", de->d_name);
		}
		closedir(d);
	} else if (fd != -1)
		close(fd);
	if ((fd = dup(q->envfd)) != -1 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (queue_id_ok(de->d_name)) {
				if (faccessat(q->messfd, de->d_name, F_OK, 0) ==
				    -1 && errno == ENOENT &&
				    sched_find(s, de->d_name) == NULL)
					(void)unlinkat(q->envfd, de->d_name, 0);
			} else if (strstr(de->d_name, ".tmp.") != NULL &&
			    fstatat(q->envfd, de->d_name, &st, 0) == 0 &&
			    now - st.st_mtime > 3600)
				(void)unlinkat(q->envfd, de->d_name, 0);
		}
		closedir(d);
	} else if (fd != -1)
		close(fd);
	return r;
}

static void
on_signal(int sig)
{
	int save = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		qrun_stop = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	if (sig_pipe[1] != -1)
		(void)!write(sig_pipe[1], &c, 1);
	errno = save;
}

static void
worker_sigterm(int sig)
{
	(void)sig;
	qrun_stop = 1;
}

/* The worker process: one job line at a time, one result line back. */
static void
worker_loop(struct queue *q, const struct qrun_conf *c, int job, int res)
{
	struct rd *rd;
	struct buf line = BUF_INIT, out = BUF_INIT;
	struct sigaction sa;
	time_t next;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((rd = malloc(sizeof(*rd))) == NULL)
		_exit(EXIT_TEMP);
	rd_init(rd, job, -1);
	while (!qrun_stop && (r = rd_line(rd, &line, QUEUE_ID_MAX + 2)) == 1) {
		while (line.len > 0 && line.s[line.len - 1] == '\n')
			buf_truncate(&line, line.len - 1);
		if (!queue_id_ok(line.s))
			continue;
		(void)qrun_message(q, c, line.s, time(NULL), &next);
		buf_reset(&out);
		if (buf_printf(&out, "%s %lld\n", line.s, (long long)next) ==
		    -1 || write_all(res, out.s, out.len) == -1)
			break;
	}
	free(rd);
	buf_free(&line);
	buf_free(&out);
	_exit(0);
}

static int
spawn(struct queue *q, const struct qrun_conf *c, struct worker *wk,
    struct worker *all, size_t n, int fifo_r, int fifo_w)
{
	int jp[2], rp[2];
	size_t i;
	pid_t pid;

	if (pipe(jp) == -1)
		return -1;
	if (pipe(rp) == -1) {
		close(jp[0]);
		close(jp[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		close(jp[0]);
		close(jp[1]);
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	if (pid == 0) {
		close(jp[1]);
		close(rp[0]);
		close(fifo_r);
		close(fifo_w);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
		for (i = 0; i < n; i++) {
			if (all[i].job != -1)
				close(all[i].job);
			if (all[i].res != -1)
				close(all[i].res);
		}
		worker_loop(q, c, jp[0], rp[1]);
	}
	close(jp[0]);
	close(rp[1]);
	(void)fcntl(jp[1], F_SETFD, FD_CLOEXEC);
	(void)fcntl(rp[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(rp[0], F_SETFL, O_NONBLOCK);
	wk->pid = pid;
	wk->job = jp[1];
	wk->res = rp[0];
	wk->cur = NULL;
	wk->rlen = 0;
	return 0;
}

/* Wait for a child, through the signals (SIGCHLD) that interrupt it. */
static void
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

/* A worker is gone: its message is retried later. */
static void
worker_lost(struct sched *s, struct worker *wk, time_t now)
{

	if (wk->job != -1)
		close(wk->job);
	if (wk->res != -1)
		close(wk->res);
	wk->job = wk->res = -1;
	if (wk->pid > 0)
		reap(wk->pid);
	wk->pid = 0;
	if (wk->cur != NULL) {
		log_warn("%s worker died; retrying in 5 minutes", wk->cur->id);
		wk->cur->busy = 0;
		wk->cur->again = 0;
		(void)sched_set(s, wk->cur, now + 300);
		wk->cur = NULL;
	}
}

/* Result lines "ID NEXT" from a worker. */
static void
worker_results(struct sched *s, struct worker *wk, time_t now)
{
	char *nl, *sp, *line;
	struct entry *e;
	long long next;
	ssize_t r;

	for (;;) {
		r = read(wk->res, wk->rbuf + wk->rlen,
		    sizeof(wk->rbuf) - 1 - wk->rlen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0) {
			worker_lost(s, wk, now);
			return;
		}
		wk->rlen += (size_t)r;
		wk->rbuf[wk->rlen] = '\0';
		while ((nl = memchr(wk->rbuf, '\n', wk->rlen)) != NULL) {
			*nl = '\0';
			line = wk->rbuf;
			if ((sp = strchr(line, ' ')) != NULL) {
				*sp = '\0';
				next = strtoll(sp + 1, NULL, 10);
				e = sched_find(s, line);
				if (e != NULL && e == wk->cur) {
					wk->cur = NULL;
					e->busy = 0;
					if (e->again) {
						e->again = 0;
						(void)sched_set(s, e, now);
					} else if (next == 0)
						sched_del(s, e);
					else if (next < 0)
						(void)sched_set(s, e,
						    QRUN_NEVER);
					else
						(void)sched_set(s, e,
						    (time_t)next);
				}
			}
			wk->rlen -= (size_t)(nl + 1 - wk->rbuf);
			memmove(wk->rbuf, nl + 1, wk->rlen);
		}
		if (wk->rlen >= sizeof(wk->rbuf) - 1)
			wk->rlen = 0;	/* no such line from our workers */
	}
}

/* Trigger lines: "ID" makes ID due; anything else makes all due. */
static int
read_trigger(struct queue *q, struct sched *s, int fd, struct buf *pend,
    time_t now)
{
	char b[4096], *nl;
	ssize_t r;
	int all = 0;

	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_put(pend, b, (size_t)r) == -1)
			return -1;
		while ((nl = memchr(pend->s, '\n', pend->len)) != NULL) {
			*nl = '\0';
			if (queue_id_ok(pend->s)) {
				if (sched_now(s, pend->s, now) == -1)
					return -1;
			} else
				all = 1;
			pend->len -= (size_t)(nl + 1 - pend->s);
			memmove(pend->s, nl + 1, pend->len);
		}
		if (pend->len > 4096)
			buf_reset(pend);
	}
	if (all) {
		log_info("kicked: every message is due");
		if (sched_all_now(s, now) == -1 || scan(q, s, now) == -1)
			return -1;
	}
	return 0;
}

/* The daemon: the schedule, the workers and the trigger FIFO */
struct runner {
	struct queue		*q;
	const struct qrun_conf	*c;
	struct sched		 s;
	struct worker		*wk;
	size_t			 nw;
	struct pollfd		*pfd;		/* sig_pipe, FIFO, workers */
	int			 fifo_r, fifo_w;
	struct buf		 pend, job;	/* trigger input, a job line */
	time_t			 last_scan;
};

/* Something in s is due at now. */
static int
sched_due(const struct sched *s, time_t now)
{
	return s->nheap > 0 && s->heap[0]->next <= now;
}

/* The runner with nothing started: -1 when out of memory. */
static int
runner_init(struct runner *rn, struct queue *q, const struct qrun_conf *c)
{
	size_t i;

	memset(rn, 0, sizeof(*rn));
	rn->q = q;
	rn->c = c;
	rn->nw = c->concurrency;
	rn->fifo_r = rn->fifo_w = -1;
	rn->pend = (struct buf)BUF_INIT;
	rn->job = (struct buf)BUF_INIT;
	if ((rn->wk = calloc(rn->nw, sizeof(*rn->wk))) == NULL ||
	    (rn->pfd = calloc(rn->nw + 2, sizeof(*rn->pfd))) == NULL) {
		free(rn->wk);
		return -1;
	}
	for (i = 0; i < rn->nw; i++)
		rn->wk[i].job = rn->wk[i].res = -1;
	return 0;
}

/* The signals of the scheduler, each a byte on sig_pipe. */
static int
catch_signals(void)
{
	struct sigaction sa;
	size_t i;

	if (pipe(sig_pipe) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		(void)fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
		(void)fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* a file size limit fails a Maildir write (4.3.1), not the worker
	 * (lib/maildir.h) */
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}

/* Signals, the trigger, the workers and the first scan; -1 (logged,
 * but for a failed pipe). */
static int
runner_start(struct runner *rn)
{
	size_t i;
	time_t now;

	if (catch_signals() == -1)
		return -1;
	/* the trigger: our own writer keeps the FIFO from reading EOF */
	if ((rn->fifo_r = openat(rn->q->dfd, "trigger", O_RDONLY |
	    O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    (rn->fifo_w = openat(rn->q->dfd, "trigger", O_WRONLY |
	    O_NONBLOCK | O_CLOEXEC)) == -1) {
		warn_sys("unable to open %s/trigger", rn->q->dir);
		return -1;
	}
	for (i = 0; i < rn->nw; i++)
		if (spawn(rn->q, rn->c, &rn->wk[i], rn->wk, rn->nw, rn->fifo_r,
		    rn->fifo_w) == -1) {
			warn_sys("unable to start a worker");
			return -1;
		}
	now = time(NULL);
	if (scan(rn->q, &rn->s, now) == -1)
		warn_sys("unable to scan %s", rn->q->dir);
	rn->last_scan = now;
	log_info("start queue=%s concurrency=%zu", rn->q->dir, rn->nw);
	return 0;
}

/* A new worker for each one gone (unless stopping); how many are busy. */
static size_t
workers_keep(struct runner *rn)
{
	struct worker *wk = rn->wk;
	size_t i, busy = 0;

	for (i = 0; i < rn->nw; i++) {
		if (wk[i].pid <= 0 && !qrun_stop &&
		    spawn(rn->q, rn->c, &wk[i], wk, rn->nw, rn->fifo_r,
		    rn->fifo_w) == -1)
			warn_sys("unable to start a worker");
		if (wk[i].pid > 0 && wk[i].cur != NULL)
			busy++;
	}
	return busy;
}

/* What is due to the idle workers; how many jobs were given out. */
static size_t
dispatch(struct runner *rn, time_t now)
{
	struct worker *wk = rn->wk;
	struct entry *e;
	size_t i, n = 0;

	for (i = 0; i < rn->nw && !qrun_stop; i++) {
		if (wk[i].pid <= 0 || wk[i].cur != NULL)
			continue;
		if (!sched_due(&rn->s, now))
			break;
		e = rn->s.heap[0];
		heap_remove(&rn->s, e);
		buf_reset(&rn->job);
		if (buf_printf(&rn->job, "%s\n", e->id) == -1 ||
		    write_all(wk[i].job, rn->job.s, rn->job.len) == -1) {
			(void)sched_set(&rn->s, e, now + 60);
			worker_lost(&rn->s, &wk[i], now);
			continue;
		}
		e->busy = 1;
		wk[i].cur = e;
		n++;
	}
	return n;
}

/* How many workers run and have no job. */
static size_t
workers_idle(const struct runner *rn)
{
	size_t i, idle = 0;

	for (i = 0; i < rn->nw; i++)
		if (rn->wk[i].pid > 0 && rn->wk[i].cur == NULL)
			idle++;
	return idle;
}

/* The poll timeout in ms: until the next due message (when a worker is
 * idle) or the next scan, an hour at most; 1 s at most with once. */
static int
poll_timeout(const struct runner *rn, time_t now, size_t idle, int once)
{
	long wait_s;
	int timeout;

	wait_s = rn->last_scan + QRUN_RESCAN - now;
	if (rn->s.nheap > 0 && idle > 0 && rn->s.heap[0]->next - now < wait_s)
		wait_s = rn->s.heap[0]->next - now;
	if (wait_s < 0)
		wait_s = 0;
	timeout = qrun_stop ? -1 : (int)(wait_s > 3600 ? 3600000 :
	    wait_s * 1000);
	if (once && timeout > 1000)
		timeout = 1000;
	return timeout;
}

/* Wait for a signal, a trigger line or a worker's result; -1 logged. */
static int
wait_events(struct runner *rn, int timeout)
{
	struct pollfd *pfd = rn->pfd;
	size_t i, np = 0;

	pfd[np].fd = sig_pipe[0];
	pfd[np++].events = POLLIN;
	pfd[np].fd = rn->fifo_r;
	pfd[np++].events = POLLIN;
	for (i = 0; i < rn->nw; i++) {
		pfd[np].fd = rn->wk[i].res;
		pfd[np++].events = POLLIN;
	}
	if (poll(pfd, np, timeout) == -1 && errno != EINTR) {
		warn_sys("poll");
		return -1;
	}
	return 0;
}

/* Stop: SIGTERM and no more jobs to every worker, which finishes the
 * delivery under way. */
static void
workers_stop(struct runner *rn)
{
	struct worker *wk = rn->wk;
	size_t i;

	for (i = 0; i < rn->nw; i++)
		if (wk[i].pid > 0) {
			(void)kill(wk[i].pid, SIGTERM);
			if (wk[i].job != -1) {
				close(wk[i].job);
				wk[i].job = -1;
			}
		}
}

/* The workers that exited, reaped; their messages retried later. */
static void
workers_reap(struct runner *rn, time_t now)
{
	size_t i;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < rn->nw; i++)
			if (rn->wk[i].pid == pid) {
				rn->wk[i].pid = -1;
				worker_lost(&rn->s, &rn->wk[i], now);
			}
}

/* What poll found: signals, results, exited workers, trigger lines, and
 * the scan when it is due or asked for (SIGHUP). */
static void
handle_events(struct runner *rn, time_t now)
{
	char junk[64];
	size_t i;

	while (read(sig_pipe[0], junk, sizeof(junk)) > 0)
		;
	if (qrun_stop)
		workers_stop(rn);
	for (i = 0; i < rn->nw; i++)
		if (rn->wk[i].res != -1 && (rn->pfd[i + 2].revents &
		    (POLLIN | POLLHUP | POLLERR)))
			worker_results(&rn->s, &rn->wk[i], now);
	if (got_chld) {
		got_chld = 0;
		workers_reap(rn, now);
	}
	if (rn->pfd[1].revents & POLLIN)
		if (read_trigger(rn->q, &rn->s, rn->fifo_r, &rn->pend, now) ==
		    -1)
			warn_sys("trigger");
	if (got_hup || now - rn->last_scan >= QRUN_RESCAN) {
		got_hup = 0;
		if (scan(rn->q, &rn->s, now) == -1)
			warn_sys("unable to scan %s", rn->q->dir);
		rn->last_scan = now;
	}
}

/* Every worker told to end and reaped, every descriptor closed, all
 * memory freed. */
static void
runner_end(struct runner *rn)
{
	struct worker *wk = rn->wk;
	size_t i;

	for (i = 0; i < rn->nw; i++) {
		if (wk[i].job != -1)
			close(wk[i].job);
		wk[i].job = -1;
	}
	for (i = 0; i < rn->nw; i++) {
		if (wk[i].pid > 0)
			reap(wk[i].pid);
		if (wk[i].res != -1)
			close(wk[i].res);
	}
	if (rn->fifo_r != -1)
		close(rn->fifo_r);
	if (rn->fifo_w != -1)
		close(rn->fifo_w);
	for (i = 0; i < 2; i++)
		if (sig_pipe[i] != -1) {
			close(sig_pipe[i]);
			sig_pipe[i] = -1;
		}
	sched_free(&rn->s);
	buf_free(&rn->pend);
	buf_free(&rn->job);
	free(wk);
	free(rn->pfd);
	log_info("stop");
}

int
qrun_main(struct queue *q, const struct qrun_conf *c, int once)
{
	struct runner rn;
	time_t now;
	size_t busy, idle;
	int r = -1;

	if (runner_init(&rn, q, c) == -1)
		return -1;
	if (runner_start(&rn) == -1)
		goto out;
	for (;;) {
		now = time(NULL);
		busy = workers_keep(&rn);
		busy += dispatch(&rn, now);
		idle = workers_idle(&rn);
		if (qrun_stop && busy == 0)
			break;
		if (once && busy == 0 && !sched_due(&rn.s, now)) {
			/* DSNs queued just now may still be in the FIFO */
			if (read_trigger(q, &rn.s, rn.fifo_r, &rn.pend, now) ==
			    -1 || scan(q, &rn.s, now) == -1)
				goto out;
			if (!sched_due(&rn.s, now))
				break;
			continue;
		}
		/* wait: for the next due message, the next scan, or events */
		if (wait_events(&rn, poll_timeout(&rn, now, idle, once)) == -1)
			goto out;
		handle_events(&rn, time(NULL));
	}
	r = 0;
out:
	runner_end(&rn);
	return r;
}
