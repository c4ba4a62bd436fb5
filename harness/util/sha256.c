#include "util/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

int qx_sha256_file(const char *path, char hex[65], struct qx_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return qx_fail(err, QX_EIO, "%s: cannot read: %s", path, strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		fclose(f);
		return qx_fail_nomem(err, "hashing a file");
	}
	unsigned char buf[1 << 16];
	size_t n;
	int ok = 1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		ok &= EVP_DigestUpdate(ctx, buf, n);
	int read_error = ferror(f);
	fclose(f);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ok &= EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (read_error)
		return qx_fail(err, QX_EIO, "%s: read error while hashing", path);
	if (!ok || len != 32)
		return qx_fail(err, QX_EINTERNAL, "%s: SHA-256 failed", path);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
