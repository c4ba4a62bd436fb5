/* Datasets: IDX (plain and gzipped) and CIFAR-10 fixtures with known pixels and labels,
 * preprocessing against values from PyTorch, every error with its byte offset, and the real
 * Fashion-MNIST test set when Debian's package is installed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/dataset.h"
#include "support/tap.h"

static char tmp[128];

static const char *fixture(const char *name)
{
	static char paths[8][256];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 256, "%s/%s", tmp, name);
	return p;
}

static void write_bytes(const char *name, const unsigned char *data, size_t len, int gzipped)
{
	const char *path = fixture(name);
	if (gzipped) {
		gzFile gz = gzopen(path, "wb9");
		if (gz) {
			if (len)
				gzwrite(gz, data, (unsigned)len);
			gzclose(gz);
		}
		return;
	}
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void put_be32(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int pixel_of(int image, int j)
{
	return (image * 31 + j * 7) & 255;
}

/* count images of h x w (pixel_of) and count labels (i % 10), plus `extra` trailing bytes on
 * the image file and `cut` bytes removed from its end. Returns the image file's size. */
static size_t write_idx(const char *images, const char *labels, int count, int h, int w,
                        int gzipped, int extra, int cut)
{
	size_t size = 16 + (size_t)count * h * w + (size_t)extra;
	unsigned char *buf = calloc(size + 8 + (size_t)count, 1);
	put_be32(buf, 0x803);
	put_be32(buf + 4, (unsigned)count);
	put_be32(buf + 8, (unsigned)h);
	put_be32(buf + 12, (unsigned)w);
	for (int i = 0; i < count; i++)
		for (int j = 0; j < h * w; j++)
			buf[16 + (size_t)i * h * w + j] = (unsigned char)pixel_of(i, j);
	write_bytes(images, buf, size - (size_t)cut, gzipped);
	put_be32(buf, 0x801);
	put_be32(buf + 4, (unsigned)count);
	for (int i = 0; i < count; i++)
		buf[8 + i] = (unsigned char)(i % 10);
	write_bytes(labels, buf, 8 + (size_t)count, gzipped);
	free(buf);
	return size - (size_t)cut;
}

/* The call failed with code and a message "<file>: <rest...>" holding every keyword. */
static void check_error(int rc, const struct qx_error *err, int code, const char *file,
                        const char *desc, ...)
{
	char prefix[400];
	snprintf(prefix, sizeof prefix, "%s: ", file);
	int good = rc == code && !strncmp(err->msg, prefix, strlen(prefix));
	va_list ap;
	va_start(ap, desc);
	for (const char *kw; (kw = va_arg(ap, const char *));)
		if (!strstr(err->msg, kw)) {
			good = 0;
			diag("missing keyword '%s'", kw);
		}
	va_end(ap);
	ok(good, "%s", desc);
	if (!good || getenv("QX_TEST_VERBOSE"))
		diag("rc %d (expected %d): %s", rc, code, err->msg);
}

static void test_idx(int gzipped)
{
	const char *kind = gzipped ? "gzipped" : "plain";
	char images[64], labels[64];
	snprintf(images, sizeof images, "img-%s", kind);
	snprintf(labels, sizeof labels, "lab-%s", kind);
	write_idx(images, labels, 5, 3, 4, gzipped, 0, 0);
	struct qx_dataset ds;
	struct qx_error err = { 0 };
	int rc = qx_dataset_load_idx(fixture(images), fixture(labels), 10, &ds, &err);
	if (!ok(rc == 0, "%s IDX loads", kind)) {
		diag("%s", err.msg);
		return;
	}
	ok(ds.count == 5 && ds.c == 1 && ds.h == 3 && ds.w == 4 && ds.n_classes == 10,
	   "%s: 5 images of 1x3x4, 10 classes", kind);
	int pixels_ok = 1, labels_ok = 1;
	for (int i = 0; i < 5; i++) {
		labels_ok &= ds.labels[i] == i % 10;
		for (int j = 0; j < 12; j++)
			pixels_ok &= ds.pixels[i * 12 + j] == pixel_of(i, j);
	}
	ok(pixels_ok && labels_ok, "%s: every pixel and label as written", kind);
	ok(ds.source && strstr(ds.source, images) && strstr(ds.source, labels),
	   "%s: source names both files", kind);

	rc = qx_dataset_slice(&ds, 2, 2, &err);
	ok(rc == 0 && ds.count == 2 && ds.labels[0] == 2 && ds.labels[1] == 3 &&
	   ds.pixels[12 + 5] == pixel_of(3, 5), "%s: slice keeps images 2..3", kind);
	rc = qx_dataset_slice(&ds, 1, 2, &err);
	ok(rc == QX_EINVAL && strstr(err.msg, "images 1..2") && ds.count == 2,
	   "%s: slice beyond the set fails: %s", kind, err.msg);
	qx_dataset_free(&ds);
	ok(ds.pixels == NULL && ds.count == 0, "free zeroes the dataset");
	qx_dataset_free(&ds);
}

static void test_idx_errors(void)
{
	struct qx_dataset ds;
	struct qx_error err = { 0 };
	int rc;
	write_idx("good-img", "good-lab", 5, 3, 4, 0, 0, 0);

	/* Wrong magic: an arbitrary one, and a label file given as images. */
	unsigned char bad[40] = { 0x12, 0x34, 0x56, 0x78 };
	write_bytes("magic", bad, sizeof bad, 0);
	rc = qx_dataset_load_idx(fixture("magic"), fixture("good-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("magic"), "bad image magic",
	            "byte 0: bad IDX magic 0x12345678 (expected 0x00000803 for images)", NULL);
	rc = qx_dataset_load_idx(fixture("good-lab"), fixture("good-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("good-lab"), "labels given as images",
	            "byte 0: bad IDX magic 0x00000801 (expected 0x00000803 for images)", NULL);
	rc = qx_dataset_load_idx(fixture("good-img"), fixture("good-img"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("good-img"), "images given as labels",
	            "byte 0: bad IDX magic 0x00000803 (expected 0x00000801 for labels)", NULL);

	/* Short files: in the header, in the pixels (plain and gzipped). */
	write_idx("short-hdr", "x-lab", 5, 3, 4, 0, 0, 5 * 12 + 6);
	rc = qx_dataset_load_idx(fixture("short-hdr"), fixture("x-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("short-hdr"), "header cut short",
	            "byte 10: file ends early (expected a 16-byte IDX header for images)", NULL);
	write_idx("short", "x-lab", 5, 3, 4, 0, 0, 7);
	rc = qx_dataset_load_idx(fixture("short"), fixture("x-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("short"), "pixels cut short",
	            "byte 69: file ends early (expected 60 bytes of images", NULL);
	write_idx("short.gz", "x-lab.gz", 5, 3, 4, 1, 0, 7);
	rc = qx_dataset_load_idx(fixture("short.gz"), fixture("x-lab.gz"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("short.gz"), "gzipped pixels cut short",
	            "byte 69: file ends early (expected 60 bytes of images", NULL);
	{
		/* A header announcing 2^32-1 images of 65535x65535: no allocation, no overflow. */
		unsigned char huge[20] = { 0, 0, 8, 3 };
		put_be32(huge + 4, 0xffffffffu);
		put_be32(huge + 8, 65535);
		put_be32(huge + 12, 65535);
		write_bytes("huge", huge, sizeof huge, 0);
		rc = qx_dataset_load_idx(fixture("huge"), fixture("x-lab"), 10, &ds, &err);
		check_error(rc, &err, QX_EINVAL, fixture("huge"), "absurd header counts",
		            "byte 4: 4294967295 images of 65535x65535, more than 2^63 bytes", NULL);
		put_be32(huge + 4, 0x7fffffffu);
		write_bytes("huge2", huge, sizeof huge, 0);
		rc = qx_dataset_load_idx(fixture("huge2"), fixture("x-lab"), 10, &ds, &err);
		check_error(rc, &err, QX_EINVAL, fixture("huge2"), "large header counts",
		            "byte 20: file ends early (expected 9223090559730712575 bytes", NULL);
	}
	write_idx("long", "x-lab", 5, 3, 4, 0, 3, 0);
	rc = qx_dataset_load_idx(fixture("long"), fixture("x-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("long"), "trailing bytes",
	            "byte 76: 3 bytes of unexpected data", NULL);

	/* A gzip bomb: a header declaring one 2x2 image, then 64 MiB of zeros (64 KiB on disk).
	 * Reading stops QX_READ_SLACK (64 KiB) past the declared 20 bytes instead of holding 64 MiB,
	 * and the message says the extra is "more than" what was read. */
	{
		size_t n = (size_t)64 << 20;
		unsigned char *bomb = calloc(n, 1);
		bomb[2] = 8, bomb[3] = 3;
		put_be32(bomb + 4, 1);
		put_be32(bomb + 8, 2);
		put_be32(bomb + 12, 2);
		write_bytes("bomb.gz", bomb, n, 1);
		free(bomb);
		rc = qx_dataset_load_idx(fixture("bomb.gz"), fixture("x-lab"), 10, &ds, &err);
		check_error(rc, &err, QX_EINVAL, fixture("bomb.gz"), "a gzip file expanding far past "
		            "its header's size, read only to 64 KiB past it",
		            "byte 20: more than 65536 bytes of unexpected data after the last of the "
		            "images (expected end of file; reading stopped there)", NULL);
	}

	/* A gzip stream cut in the middle is corrupt data, not a short file. */
	{
		const char *path = fixture("good-img.gz");
		write_idx("good-img.gz", "good-lab.gz", 50, 10, 10, 1, 0, 0);
		FILE *f = fopen(path, "rb");
		unsigned char buf[8192];
		size_t len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		write_bytes("cut.gz", buf, len / 2, 0);
		rc = qx_dataset_load_idx(fixture("cut.gz"), fixture("good-lab.gz"), 10, &ds, &err);
		check_error(rc, &err, QX_EIO, fixture("cut.gz"), "gzip stream cut in half", "byte ",
		            "gzip", NULL);
	}

	/* Labels: a count mismatch, a label out of range, a short label file. */
	write_idx("four-img", "four-lab", 4, 3, 4, 0, 0, 0);
	rc = qx_dataset_load_idx(fixture("good-img"), fixture("four-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_EINVAL, fixture("four-lab"), "count mismatch",
	            "byte 4: 4 labels for the 5 images of", "good-img", "expected one label per",
	            NULL);
	{
		unsigned char lab[8 + 5] = { 0, 0, 8, 1, 0, 0, 0, 5, 0, 1, 2, 12, 4 };
		write_bytes("lab12", lab, sizeof lab, 0);
		rc = qx_dataset_load_idx(fixture("good-img"), fixture("lab12"), 10, &ds, &err);
		check_error(rc, &err, QX_EINVAL, fixture("lab12"), "label out of range",
		            "byte 11: label 12 out of range (expected 0..9)", NULL);
		rc = qx_dataset_load_idx(fixture("good-img"), fixture("lab12"), 13, &ds, &err);
		ok(rc == 0 && ds.labels[3] == 12, "label 12 is fine with 13 classes");
		qx_dataset_free(&ds);
		write_bytes("lab-short", lab, sizeof lab - 2, 0);
		rc = qx_dataset_load_idx(fixture("good-img"), fixture("lab-short"), 10, &ds, &err);
		check_error(rc, &err, QX_EINVAL, fixture("lab-short"), "label file cut short",
		            "byte 11: file ends early (expected 5 bytes of labels", NULL);
	}

	rc = qx_dataset_load_idx(fixture("absent"), fixture("good-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_ENOENT, fixture("absent"), "missing image file", "file not found",
	            "IDX image file", NULL);
	rc = qx_dataset_load_idx(fixture("good-img"), fixture("absent-lab"), 10, &ds, &err);
	check_error(rc, &err, QX_ENOENT, fixture("absent-lab"), "missing label file",
	            "file not found", NULL);
	ok(ds.pixels == NULL && ds.labels == NULL && ds.source == NULL, "failed load leaves nothing");
}

enum { REC = 3073 };

/* Record r of a CIFAR fixture: label (r * 3) % 10, pixel k = (r + k * 5) & 255. */
static void cifar_record(unsigned char *rec, int r, int label)
{
	rec[0] = (unsigned char)label;
	for (int k = 0; k < 3072; k++)
		rec[1 + k] = (unsigned char)((r + k * 5) & 255);
}

static void write_cifar(const char *name, int first, int count)
{
	unsigned char *buf = malloc((size_t)count * REC);
	for (int r = 0; r < count; r++)
		cifar_record(buf + (size_t)r * REC, first + r, ((first + r) * 3) % 10);
	write_bytes(name, buf, (size_t)count * REC, 0);
	free(buf);
}

static void test_cifar(void)
{
	write_cifar("batch_a.bin", 0, 3);
	write_cifar("batch_b.bin", 3, 2);
	const char *paths[] = { fixture("batch_a.bin"), fixture("batch_b.bin") };
	struct qx_dataset ds;
	struct qx_error err = { 0 };
	int rc = qx_dataset_load_cifar10(paths, 2, &ds, &err);
	if (!ok(rc == 0, "CIFAR-10 fixture loads")) {
		diag("%s", err.msg);
		return;
	}
	ok(ds.count == 5 && ds.c == 3 && ds.h == 32 && ds.w == 32 && ds.n_classes == 10,
	   "5 images of 3x32x32 from two files");
	int good = 1;
	for (int r = 0; r < 5; r++) {
		good &= ds.labels[r] == (r * 3) % 10;
		for (int k = 0; k < 3072; k++)
			good &= ds.pixels[(size_t)r * 3072 + k] == ((r + k * 5) & 255);
	}
	ok(good, "labels and CHW pixels as written, files in order");

	/* Channel c of image 4 uses mean[c] and std[c]; the red plane is the first 1024 bytes. */
	struct qx_preprocess pp = {
		.scale = 0.5f, .divisor = 0, .n_channels = 3,
		.mean = { 1, 2, 3 }, .std = { 2, 4, 0.5f },
	};
	float out[2 * 3072];
	qx_dataset_preprocess(&ds, &pp, 3, 2, out);
	good = 1;
	for (int i = 0; i < 2; i++)
		for (int c = 0; c < 3; c++)
			for (int j = 0; j < 1024; j += 101) {
				int p = (3 + i + (c * 1024 + j) * 5) & 255;
				/* p * 0.5 and the mean are exact, the division by a power of two too. */
				float expect = ((float)p * 0.5f - pp.mean[c]) / pp.std[c];
				good &= out[i * 3072 + c * 1024 + j] == expect;
			}
	ok(good, "per-channel mean/std applied to the right planes");
	ok(out[3072 + 1024 + 3] == 1.875f, "image 4, green plane, pixel 3 (19): %g",
	   out[3072 + 1024 + 3]);
	qx_dataset_free(&ds);
}

static void test_cifar_errors(void)
{
	struct qx_dataset ds;
	struct qx_error err = { 0 };
	unsigned char *buf = calloc(4 * REC, 1);
	for (int r = 0; r < 4; r++)
		cifar_record(buf + (size_t)r * REC, r, r);

	write_bytes("odd.bin", buf, 4000, 0);
	const char *odd[] = { fixture("odd.bin") };
	int rc = qx_dataset_load_cifar10(odd, 1, &ds, &err);
	check_error(rc, &err, QX_EINVAL, odd[0], "size not a multiple of 3073",
	            "byte 3073: file size 4000 is not a multiple of 3073", NULL);
	write_bytes("empty.bin", buf, 0, 0);
	const char *empty[] = { fixture("empty.bin") };
	rc = qx_dataset_load_cifar10(empty, 1, &ds, &err);
	check_error(rc, &err, QX_EINVAL, empty[0], "empty file",
	            "byte 0: file size 0 is not a multiple of 3073", NULL);
	buf[2 * REC] = 10;
	write_bytes("label10.bin", buf, 4 * REC, 0);
	const char *label10[] = { fixture("label10.bin") };
	rc = qx_dataset_load_cifar10(label10, 1, &ds, &err);
	check_error(rc, &err, QX_EINVAL, label10[0], "label 10 in record 2",
	            "byte 6146: label 10 out of range (expected 0..9)", NULL);
	free(buf);

	/* CIFAR-10 has no header: a gzip file that expands past the whole data set's 60,000
	 * records is cut off there (a 185 MB stream of zeros, 180 KB on disk). */
	{
		gzFile gz = gzopen(fixture("bomb.bin.gz"), "wb9");
		unsigned char *zeros = calloc(1 << 20, 1);
		for (int i = 0; gz && zeros && i < 185; i++)
			gzwrite(gz, zeros, 1 << 20);
		if (gz)
			gzclose(gz);
		free(zeros);
		const char *bomb[] = { fixture("bomb.bin.gz") };
		rc = qx_dataset_load_cifar10(bomb, 1, &ds, &err);
		check_error(rc, &err, QX_EINVAL, bomb[0], "a gzip file expanding past 60,000 records",
		            "byte 184380000: more than 60000 records (expected at most the 60000 of the "
		            "whole CIFAR-10 set; reading stopped there)", NULL);
	}

	write_cifar("present.bin", 0, 1);
	const char *missing[] = {
		fixture("test_batch.bin"), fixture("present.bin"), fixture("data_batch_1.bin")
	};
	rc = qx_dataset_load_cifar10(missing, 3, &ds, &err);
	char both[600];
	snprintf(both, sizeof both, "%s, %s: CIFAR-10 files not found", missing[0], missing[2]);
	ok(rc == QX_ENOENT && !strncmp(err.msg, both, strlen(both)) &&
	   strstr(err.msg, "test_batch.bin, present.bin, data_batch_1.bin") &&
	   strstr(err.msg, tmp) && strstr(err.msg, "tools/fetch-cifar10") &&
	   strstr(err.msg, "data/cifar-10-batches-bin/"),
	   "missing CIFAR files: one message naming them, the folder and the fetch tool");
	if (getenv("QX_TEST_VERBOSE") || rc != QX_ENOENT)
		diag("%s", err.msg);
	ok(ds.pixels == NULL && ds.count == 0, "failed load leaves nothing");
}

/* Golden values from PyTorch 1.13 (torchvision's ToTensor then Normalize):
 *   x = torch.arange(256, dtype=torch.uint8).float().div(255)
 *   y = x.sub(torch.tensor(mean)).div(torch.tensor(std))
 * Pixels 25..30 are among those where p * (1/255.0f) would give another float. */
static const struct { int p; float value; } FASHION_GOLDEN[] = {
	{ 0, -0x1.9ed252p-1f }, { 1, -0x1.992236p-1f }, { 2, -0x1.937218p-1f },
	{ 3, -0x1.8dc1fcp-1f }, { 25, -0x1.109f80p-1f }, { 26, -0x1.0aef64p-1f },
	{ 27, -0x1.053f46p-1f }, { 28, -0x1.ff1e52p-2f }, { 29, -0x1.f3be18p-2f },
	{ 30, -0x1.e85de0p-2f }, { 37, -0x1.98bc48p-2f }, { 77, 0x1.726610p-5f },
	{ 128, 0x1.393c26p-1f }, { 200, 0x1.696222p+0f }, { 254, 0x1.017a98p+1f },
	{ 255, 0x1.02e69ep+1f },
};
static const float CIFAR_GOLDEN[3][4] = { /* pixels 0, 17, 128, 255 per channel */
	{ -0x1.fd4e26p+0f, -0x1.b835a0p+0f, 0x1.5e4280p-5f, 0x1.0790e6p+1f },
	{ -0x1.faf420p+0f, -0x1.b4dd58p+0f, 0x1.4c675cp-4f, 0x1.1030c8p+1f },
	{ -0x1.b4f122p+0f, -0x1.73b3cep+0f, 0x1.b2304ap-3f, 0x1.0ed362p+1f },
};

static void test_preprocess_golden(void)
{
	/* One image of 16x16 holding every pixel value 0..255. */
	unsigned char all[256];
	for (int p = 0; p < 256; p++)
		all[p] = (unsigned char)p;
	unsigned char label = 0;
	struct qx_dataset ds = {
		.count = 1, .c = 1, .h = 16, .w = 16, .n_classes = 10, .pixels = all, .labels = &label,
	};
	struct qx_preprocess pp = {
		.scale = 1.0f / 255, .divisor = 255, .n_channels = 1, .mean = { 0.2860f },
		.std = { 0.3530f },
	};
	float out[256];
	qx_dataset_preprocess(&ds, &pp, 0, 1, out);
	int n = (int)(sizeof FASHION_GOLDEN / sizeof FASHION_GOLDEN[0]), good = 1;
	for (int i = 0; i < n; i++)
		if (out[FASHION_GOLDEN[i].p] != FASHION_GOLDEN[i].value) {
			good = 0;
			diag("p=%d: %a (expected %a)", FASHION_GOLDEN[i].p, out[FASHION_GOLDEN[i].p],
			     FASHION_GOLDEN[i].value);
		}
	ok(good, "Fashion-MNIST normalization bit-identical to PyTorch (%d pixel values)", n);

	/* The multiplying form really differs: the divisor is not decoration. */
	pp.divisor = 0;
	qx_dataset_preprocess(&ds, &pp, 0, 1, out);
	ok(out[25] != FASHION_GOLDEN[4].value && out[25] == (25 * (1.0f / 255) - 0.2860f) / 0.3530f,
	   "p * (1/255.0f) gives another float at p=25 (%a vs %a)", out[25], FASHION_GOLDEN[4].value);

	/* Three channels, each a plane of the same 256 values (16x16). */
	unsigned char planes[3 * 256];
	for (int c = 0; c < 3; c++)
		memcpy(planes + c * 256, all, 256);
	ds.c = 3;
	ds.pixels = planes;
	struct qx_preprocess cifar = {
		.scale = 1.0f / 255, .divisor = 255, .n_channels = 3,
		.mean = { 0.4914f, 0.4822f, 0.4465f }, .std = { 0.2470f, 0.2435f, 0.2616f },
	};
	float out3[3 * 256];
	qx_dataset_preprocess(&ds, &cifar, 0, 1, out3);
	static const int P[4] = { 0, 17, 128, 255 };
	good = 1;
	for (int c = 0; c < 3; c++)
		for (int i = 0; i < 4; i++)
			good &= out3[c * 256 + P[i]] == CIFAR_GOLDEN[c][i];
	ok(good, "CIFAR-10 per-channel normalization bit-identical to PyTorch");

	/* One mean/std for all channels. */
	struct qx_preprocess one = {
		.scale = 1.0f / 255, .divisor = 255, .n_channels = 1, .mean = { 0.2860f },
		.std = { 0.3530f },
	};
	qx_dataset_preprocess(&ds, &one, 0, 1, out3);
	ok(out3[2 * 256 + 29] == FASHION_GOLDEN[8].value, "one mean/std serves every channel");
}

static void test_real_fashion_mnist(void)
{
	const char *images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
	const char *labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
	if (access(images, R_OK) || access(labels, R_OK)) {
		tap_skip(4, "Fashion-MNIST not installed in /usr/share/datasets/fashion-mnist");
		return;
	}
	struct qx_dataset ds;
	struct qx_error err = { 0 };
	int rc = qx_dataset_load_idx(images, labels, 10, &ds, &err);
	if (!ok(rc == 0, "Fashion-MNIST t10k loads")) {
		diag("%s", err.msg);
		tap_skip(3, "not loaded");
		return;
	}
	ok(ds.count == 10000 && ds.c == 1 && ds.h == 28 && ds.w == 28, "10000 images of 28x28");
	int hist[10] = { 0 }, flat = 1;
	for (int64_t i = 0; i < ds.count; i++)
		hist[ds.labels[i]]++;
	for (int c = 0; c < 10; c++)
		flat &= hist[c] == 1000;
	ok(flat, "1000 images per class");
	/* Reference from Python's gzip + numpy on the same files. */
	long long sum = 0, first = 0;
	for (int64_t i = 0; i < ds.count * 784; i++)
		sum += ds.pixels[i];
	for (int j = 0; j < 784; j++)
		first += ds.pixels[j];
	ok(sum == 573469082 && first == 33456 && ds.labels[0] == 9 && ds.labels[1] == 2,
	   "pixel sums and first labels match numpy (sum %lld, image 0 %lld)", sum, first);
	qx_dataset_free(&ds);
}

int main(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/qx-test-dataset-XXXXXX");
	if (!mkdtemp(tmp))
		return tap_skip_all("cannot create a temporary folder");
	test_idx(0);
	test_idx(1);
	test_idx_errors();
	test_cifar();
	test_cifar_errors();
	test_preprocess_golden();
	test_real_fashion_mnist();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	return tap_done();
}
