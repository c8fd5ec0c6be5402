/* keygen: DKIM key pairs and their records (keygen.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth/keygen.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "mail/codec.h"

static EVP_PKEY *
generate(enum keygen_kind kind, unsigned bits)
{
	EVP_PKEY_CTX *c;
	EVP_PKEY *k = NULL;

	c = EVP_PKEY_CTX_new_id(kind == KEYGEN_RSA ? EVP_PKEY_RSA :
	    EVP_PKEY_ED25519, NULL);
	if (c == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(c) <= 0 || (kind == KEYGEN_RSA &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int)bits) <= 0) ||
	    EVP_PKEY_keygen(c, &k) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

/* The public key as p= wants it: RSA as the DER SubjectPublicKeyInfo
 * (RFC 6376 3.6.1), Ed25519 as the 32 raw bytes (RFC 8463 4.2). */
static int
public_b64(EVP_PKEY *k, enum keygen_kind kind, struct buf *out)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	int n, r;

	if (kind == KEYGEN_ED25519) {
		if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) <= 0)
			goto ssl;
		return b64_encode(out, raw, rawlen);
	}
	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		goto ssl;
	r = b64_encode(out, der, (size_t)n);
	OPENSSL_free(der);
	return r;
ssl:
	errno = EIO;
	return -1;
}

/* The private key, PEM (PKCS#8, unencrypted: the signer reads it as is). */
static int
private_pem(EVP_PKEY *k, struct buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r = -1;

	if (b == NULL)
		goto ssl;
	if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
		goto ssl;
	n = BIO_get_mem_data(b, &p);
	r = buf_set(out, p, (size_t)n);
	BIO_free(b);
	return r;
ssl:
	BIO_free(b);
	errno = EIO;
	return -1;
}

int
keygen_make(enum keygen_kind kind, unsigned bits, const char *path,
    mode_t mode, struct buf *record)
{
	struct atomic_file af;
	struct buf pem = BUF_INIT, pub = BUF_INIT;
	EVP_PKEY *k = NULL;
	int ret = -1, save;

	if ((kind == KEYGEN_RSA && (bits < KEYGEN_RSA_MIN ||
	    bits > KEYGEN_RSA_MAX)) || (kind != KEYGEN_RSA &&
	    kind != KEYGEN_ED25519)) {
		errno = EINVAL;
		return -1;
	}
	if (access(path, F_OK) == 0) {
		errno = EEXIST;		/* a key in use is never replaced */
		return -1;
	}
	if ((k = generate(kind, bits)) == NULL) {
		errno = EIO;
		return -1;
	}
	if (private_pem(k, &pem) == -1 || public_b64(k, kind, &pub) == -1)
		goto out;
	buf_reset(record);
	if (buf_printf(record, "v=DKIM1; k=%s; p=%s",
	    kind == KEYGEN_RSA ? "rsa" : "ed25519", pub.s) == -1)
		goto out;
	if (atomic_open(&af, path, mode) == -1)
		goto out;
	if (write_all(af.fd, pem.s, pem.len) == -1) {
		save = errno;
		atomic_abort(&af);
		errno = save;
		goto out;
	}
	if (atomic_commit(&af) == -1)
		goto out;
	ret = 0;
out:
	save = errno;
	EVP_PKEY_free(k);
	if (pem.s != NULL)
		OPENSSL_cleanse(pem.s, pem.len);
	buf_free(&pem);
	buf_free(&pub);
	errno = save;
	return ret;
}

int
keygen_zone_line(const char *name, const char *record, struct buf *out)
{
	size_t n = strlen(record), i, l;

	buf_reset(out);
	if (buf_printf(out, "%s. IN TXT (", name) == -1)
		return -1;
	/* RFC 1035 3.3.14: character-strings of 255 bytes at most */
	for (i = 0; i < n; i += l) {
		l = n - i > 255 ? 255 : n - i;
		if (buf_printf(out, " \"%.*s\"", (int)l, record + i) == -1)
			return -1;
	}
	return buf_puts(out, " )");
}
