/* SPDX-License-Identifier: MIT */
/*
 * JPEG for Tight and TightPNG through libjpeg-turbo's TurboJPEG API: one
 * compressor handle per connection, fed straight from the XRGB8888
 * framebuffer (no copy), writing into the output buffer. Also maps the
 * client's QualityLevel, fine quality and subsampling pseudo-encodings to
 * TurboJPEG settings (libvncserver's and TurboVNC's tables). Built only
 * with HAVE_JPEG.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "buf.h"
#include "rfb-proto.h"
#include "tight-jpeg.h"

struct tight_jpeg {
	tjhandle tj;
};

/* QualityLevel 0..9 -> JPEG quality and chroma subsampling
 * (libvncserver rfbserver.c tight2turbo_qual / tight2turbo_subsamp). */
static const uint8_t tight_jpeg_quality[10] = {
	15, 29, 41, 42, 62, 77, 79, 86, 92, 100
};
static const int tight_jpeg_subsamp[10] = {
	TJSAMP_420, TJSAMP_420, TJSAMP_420, TJSAMP_422, TJSAMP_422,
	TJSAMP_422, TJSAMP_444, TJSAMP_444, TJSAMP_444, TJSAMP_444
};

void tight_jpeg_params(struct tight_jpeg_params *jp, int quality,
		       int fine_quality, int subsampling)
{
	/* Without a level the library defaults apply, as in TigerVNC's
	 * JpegCompressor: quality 75, 4:2:0. */
	jp->quality = 75;
	jp->subsamp = TJSAMP_420;
	if (quality >= 0 && quality <= 9) {
		jp->quality = tight_jpeg_quality[quality];
		jp->subsamp = tight_jpeg_subsamp[quality];
	}
	if (fine_quality >= 0)
		jp->quality = fine_quality < 1 ? 1
			      : fine_quality > 100 ? 100
						   : fine_quality;
	switch (subsampling) {
	case RFB_SUBSAMP_1X:
		jp->subsamp = TJSAMP_444;
		break;
	case RFB_SUBSAMP_2X:
		jp->subsamp = TJSAMP_422;
		break;
	case RFB_SUBSAMP_GRAY:
		jp->subsamp = TJSAMP_GRAY;
		break;
	case RFB_SUBSAMP_4X:
	case RFB_SUBSAMP_8X:	/* TurboJPEG has nothing coarser */
	case RFB_SUBSAMP_16X:
		jp->subsamp = TJSAMP_420;
		break;
	default:
		break;
	}
}

struct tight_jpeg *tight_jpeg_new(void)
{
	struct tight_jpeg *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->tj = tjInitCompress();
	if (!j->tj) {
		free(j);
		return NULL;
	}
	return j;
}

void tight_jpeg_free(struct tight_jpeg *j)
{
	tjDestroy(j->tj);
	free(j);
}

int tight_jpeg_compress(struct tight_jpeg *j,
			const struct tight_jpeg_params *jp,
			const uint32_t *src, size_t stride, int w, int h,
			struct buf *out)
{
	const uint16_t one = 1;
	/* XRGB8888 in host order: B, G, R, X in memory on little endian. */
	int pf = *(const uint8_t *)&one ? TJPF_BGRX : TJPF_XRGB;
	unsigned long bound = tjBufSize(w, h, jp->subsamp), size = bound;
	unsigned char *dst;
	size_t at;

	if (bound == (unsigned long)-1 || buf_reserve(out, bound) < 0)
		return -ENOMEM;
	at = out->len;
	dst = out->data + at;
	if (tjCompress2(j->tj, (const unsigned char *)src, w,
			(int)(stride * 4), h, pf, &dst, &size, jp->subsamp,
			jp->quality, TJFLAG_NOREALLOC) != 0)
		return -EIO;
	out->len = at + size;
	return 0;
}
