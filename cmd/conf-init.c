/*
 * conf-init: write a starter configuration for one mail domain into
 * $POSTERN_CONF (or -d DIR): control files, the text tables and their
 * compiled CDB files, the directory's Makefile, and a self-signed TLS
 * certificate to start with.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/cdbtab.h"
#include "base/control.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/num.h"
#include "queue/route.h"

static const char usage[] =
    "conf-init [-fhT] [-d dir] [-g group] [-n hostname] domain "
    "[account ...]";

static const char makefile[] =
"# postern configuration: `make` compiles each text table into its CDB\n"
"# file atomically (a temporary file, fsync, rename), so programs that\n"
"# open a table per lookup see either the old or the new one.\n"
"TABLE_COMPILE = table-compile\n"
"PSL = /usr/share/publicsuffix/public_suffix_list.dat\n"
"\n"
"all: domains.cdb recipients.cdb aliases.cdb psl.cdb\n"
"\n"
"domains.cdb: domains\n"
"\t$(TABLE_COMPILE) -l domains domains.cdb\n"
"recipients.cdb: recipients\n"
"\t$(TABLE_COMPILE) -l recipients recipients.cdb\n"
"aliases.cdb: aliases\n"
"\t$(TABLE_COMPILE) -l aliases aliases.cdb\n"
"# the public suffix list (Debian's publicsuffix) for DMARC\n"
"psl.cdb: $(PSL)\n"
"\t$(TABLE_COMPILE) -p $(PSL) psl.cdb\n"
"\n"
".PHONY: all\n";

static const char *files[] = {
	"me", "domains", "recipients", "aliases", "subaddress-delimiter",
	"Makefile", "tls/key.pem", "tls/cert.pem", NULL
};

static int force;
static gid_t tls_gid = (gid_t)-1;	/* -g: the group that reads the key */
static const char *dir;

/* A DNS name of letters, digits, '-' and '.', 1 to 253 bytes. */
static int
valid_domain(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
		if (c == '.' && (s[i + 1] == '.' || s[i + 1] == '\0'))
			return 0;
	}
	return 1;
}

/* Without -f, exit 100 when path is there already. */
static void
refuse_if_there(const char *path)
{
	if (!force && access(path, F_OK) == 0)
		die(EXIT_PERM, "%s exists; not overwriting it (use -f)",
		    path);
}

/* The file name in dir, with b, atomically; exit 100 when it is there
 * (without -f), 111 when it cannot be written. */
static void
put(const char *name, const struct buf *b, mode_t mode)
{
	struct buf path = BUF_INIT;

	if (buf_printf(&path, "%s/%s", dir, name) == -1)
		die_nomem();
	refuse_if_there(path.s);
	if (atomic_replace(path.s, b->s, b->len, mode) == -1)
		die_sys(EXIT_TEMP, "unable to write %s", path.s);
	buf_free(&path);
}

static void
compile(const char *name)
{
	struct buf src = BUF_INIT, dst = BUF_INIT;
	unsigned long line;

	if (buf_printf(&src, "%s/%s", dir, name) == -1 ||
	    buf_printf(&dst, "%s/%s.cdb", dir, name) == -1)
		die_nomem();
	if (cdbtab_compile(src.s, dst.s, CDBTAB_LOWER, 0644, &line) < 0)
		die_sys(EXIT_TEMP, "unable to compile %s", src.s);
	buf_free(&src);
	buf_free(&dst);
}

/* The key k in PEM into out, or with k NULL the certificate x: 0 / -1. */
static int
pem_encode(EVP_PKEY *k, X509 *x, struct buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r = -1;

	if (b != NULL && (k != NULL ? PEM_write_bio_PrivateKey(b, k, NULL,
	    NULL, 0, NULL, NULL) : PEM_write_bio_X509(b, x)) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		r = buf_set(out, p, (size_t)n);
	BIO_free(b);
	return r;
}

/* A self-signed P-256 certificate for host, valid for 90 days. */
static void
selfsigned(const char *host, const char *domain)
{
	struct buf pem = BUF_INIT, san = BUF_INIT, path = BUF_INIT;
	unsigned char serial[16];
	EVP_PKEY *k;
	X509 *x;
	X509_EXTENSION *ext;
	X509_NAME *nm;
	BIGNUM *bn;

	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		die(EXIT_TEMP, "unable to make a TLS key");
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		die(EXIT_TEMP, "unable to get random bytes");
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		die(EXIT_TEMP, "unable to set a serial number");
	BN_free(bn);
	nm = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 90L * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, nm) != 1 || X509_set_pubkey(x, k) != 1)
		die(EXIT_TEMP, "unable to build the certificate");
	if (buf_printf(&san, "DNS:%s,DNS:%s", host, domain) == -1)
		die_nomem();
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san.s);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1 ||
	    X509_sign(x, k, EVP_sha256()) == 0)
		die(EXIT_TEMP, "unable to sign the certificate");
	X509_EXTENSION_free(ext);
	if (buf_printf(&path, "%s/tls", dir) == -1)
		die_nomem();
	if (mkdir(path.s, 0700) == -1 && errno != EEXIST)
		die_sys(EXIT_TEMP, "unable to create %s", path.s);
	/* DESIGN.md 6: secrets readable by the one uid that needs them; with
	 * -g, by the group of the smtp user too (the key is written 0600
	 * and only then handed to the group) */
	if (pem_encode(k, NULL, &pem) == -1)
		die(EXIT_TEMP, "unable to encode the key");
	put("tls/key.pem", &pem, 0600);
	if (tls_gid != (gid_t)-1) {
		if (chown(path.s, (uid_t)-1, tls_gid) == -1 ||
		    chmod(path.s, 0750) == -1)
			die_sys(EXIT_TEMP, "unable to give %s to the group",
			    path.s);
		buf_reset(&path);
		if (buf_printf(&path, "%s/tls/key.pem", dir) == -1)
			die_nomem();
		if (chown(path.s, (uid_t)-1, tls_gid) == -1 ||
		    chmod(path.s, 0640) == -1)
			die_sys(EXIT_TEMP, "unable to give %s to the group",
			    path.s);
	}
	if (pem_encode(NULL, x, &pem) == -1)
		die(EXIT_TEMP, "unable to encode the certificate");
	put("tls/cert.pem", &pem, 0644);
	OPENSSL_cleanse(pem.s, pem.len);
	buf_free(&pem);
	buf_free(&san);
	buf_free(&path);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* A group by name or number; exit 100 when there is none. */
static gid_t
group_id(const char *s)
{
	struct group *g;
	unsigned long v;

	if ((g = getgrnam(s)) != NULL)
		return g->gr_gid;
	if (parse_ulong(s, &v, 0, (gid_t)-1 - 1) == 0)
		return (gid_t)v;
	die(EXIT_PERM, "unknown group: %s", s);
}

/* The domain and the account names valid, or exit 100. */
static void
check_names(const char *domain, char **acct, int nacct)
{
	int i;

	if (!valid_domain(domain))
		die(EXIT_PERM, "invalid domain: %s", domain);
	for (i = 0; i < nacct; i++)
		if (!route_account_ok(acct[i]))
			die(EXIT_PERM, "invalid account name: %s "
			    "(lower-case letters, digits, '-', '_', '.')",
			    acct[i]);
}

/* Without -n: this host's name when it has a dot, else mail.DOMAIN. */
static void
default_host(struct buf *host, const char *domain)
{
	char hn[256];

	if (gethostname(hn, sizeof(hn)) == 0 && strchr(hn, '.'))
		hn[sizeof(hn) - 1] = '\0';
	else if (snprintf(hn, sizeof(hn), "mail.%s", domain) >=
	    (int)sizeof(hn))
		die(EXIT_PERM, "domain too long");
	if (buf_puts(host, hn) == -1)
		die_nomem();
}

/* Without -f, exit 100 when a file conf-init writes is there already:
 * before writing anything, so a refusal changes nothing. */
static void
refuse_existing(void)
{
	struct buf path = BUF_INIT;
	int i;

	for (i = 0; !force && files[i] != NULL; i++) {
		buf_reset(&path);
		if (buf_printf(&path, "%s/%s", dir, files[i]) == -1)
			die_nomem();
		refuse_if_there(path.s);
	}
	buf_free(&path);
}

/* The control file me: the host name. */
static void
write_me(const char *host)
{
	struct buf b = BUF_INIT;

	if (buf_printf(&b, "%s\n", host) == -1)
		die_nomem();
	put("me", &b, 0644);
	buf_free(&b);
}

/* The table domains: the domain, and the host name. */
static void
write_domains(const char *host, const char *domain)
{
	struct buf b = BUF_INIT;

	/* the host name is local too: smtp-recv takes "postmaster" as
	 * postmaster@me (RFC 5321 4.5.1), and that must be delivered */
	if (buf_printf(&b, "# local domains, one per line\n%s\n", domain) ==
	    -1 || (ascii_casecmp(host, domain) != 0 &&
	    buf_printf(&b, "%s\n", host) == -1))
		die_nomem();
	put("domains", &b, 0644);
	buf_free(&b);
}

/* The table recipients: ACCOUNT@domain for each account, or the account
 * postmaster when there is none. */
static void
write_recipients(const char *domain, char **acct, int nacct)
{
	struct buf b = BUF_INIT;
	int i;

	if (buf_puts(&b, "# address account; \"@domain account\" is the "
	    "domain's catch-all\n") == -1)
		die_nomem();
	if (nacct == 0 && buf_printf(&b, "postmaster@%s postmaster\n",
	    domain) == -1)
		die_nomem();
	for (i = 0; i < nacct; i++)
		if (buf_printf(&b, "%s@%s %s\n", acct[i], domain, acct[i]) ==
		    -1)
			die_nomem();
	put("recipients", &b, 0644);
	buf_free(&b);
}

/* The table aliases: postmaster and abuse to the first account (first
 * NULL: none). */
static void
write_aliases(const char *host, const char *domain, const char *first)
{
	struct buf b = BUF_INIT;
	const char *to = first != NULL ? first : "postmaster";

	/* RFC 5321 4.5.1: postmaster, at the domain and at the host name;
	 * RFC 2142: abuse.  Without accounts postmaster@domain is the
	 * account postmaster itself. */
	if (buf_puts(&b, "# address target, target, ...\n") == -1 ||
	    (first != NULL && buf_printf(&b, "postmaster@%s %s@%s\n"
	    "abuse@%s %s@%s\n", domain, to, domain, domain, to,
	    domain) == -1) ||
	    (ascii_casecmp(host, domain) != 0 &&
	    buf_printf(&b, "postmaster@%s %s@%s\n", host, to,
	    domain) == -1))
		die_nomem();
	put("aliases", &b, 0644);
	buf_free(&b);
}

/* The files that are the same for every domain: subaddress-delimiter
 * and the Makefile. */
static void
write_fixed(void)
{
	struct buf b = BUF_INIT;

	if (buf_puts(&b, "+\n") == -1)
		die_nomem();
	put("subaddress-delimiter", &b, 0644);
	if (buf_set(&b, makefile, sizeof(makefile) - 1) == -1)
		die_nomem();
	put("Makefile", &b, 0644);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	struct buf host = BUF_INIT;
	const char *domain;
	int c, tls = 1;

	log_init(argv[0]);
	dir = control_dir();
	while ((c = getopt(argc, argv, "d:fg:hn:T")) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'g':
			tls_gid = group_id(optarg);
			break;
		case 'f':
			force = 1;
			break;
		case 'n':
			if (buf_set(&host, optarg, strlen(optarg)) == -1)
				die_nomem();
			break;
		case 'T':
			tls = 0;
			break;
		default:
			die_usage(usage);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		die_usage(usage);
	domain = argv[0];
	check_names(domain, argv + 1, argc - 1);
	if (host.len == 0)
		default_host(&host, domain);
	if (!valid_domain(host.s))
		die(EXIT_PERM, "invalid host name: %s", host.s);
	if (mkdir_p(dir, 0755) == -1)
		die_sys(EXIT_TEMP, "unable to create %s", dir);
	refuse_existing();
	write_me(host.s);
	write_domains(host.s, domain);
	write_recipients(domain, argv + 1, argc - 1);
	write_aliases(host.s, domain, argc > 1 ? argv[1] : NULL);
	write_fixed();
	compile("domains");
	compile("recipients");
	compile("aliases");
	if (tls)
		selfsigned(host.s, domain);
	log_info("dir=%s domain=%s host=%s accounts=%d tls=%s", dir, domain,
	    host.s, argc > 1 ? argc - 1 : 1, tls ? "self-signed" : "none");
	buf_free(&host);
	return 0;
}
