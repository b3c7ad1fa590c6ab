/* SPDX-License-Identifier: MIT */
/*
 * H.264 (encoding 50, doc/protocol.md, "H.264") with OpenH264: baseline
 * profile, one picture per rectangle, as an Annex B stream after a length
 * and a flags word. The viewer keys its decoder by the rectangle, so the
 * per-connection state is one encoder for one rectangle: a rectangle of
 * another geometry restarts it with a key frame and tells the viewer to
 * drop every older decoder (ResetAllContexts). Key frames come only then
 * and when asked (ENC_F_KEYFRAME); rate control holds each picture near a
 * bit budget that grows with the viewer's quality level.
 *
 * Pixels go to I420 (BT.601, limited range, as the stream's VUI says) on
 * the encoder threads in bands; OpenH264 itself runs single-threaded. Odd
 * sizes: the picture is the even part, the last column or row goes Raw.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wels/codec_api.h>

#include "encoder.h"
#include "encpool.h"
#include "h264.h"
#include "log.h"
#include "rfb-proto.h"

/* The frame rate rate control is told; each picture's budget is the
 * bitrate divided by it, whatever the real rate. */
#define H264_FPS 30
/* Bits per pixel of each picture by quality level 0..9 (in 1/1000). */
static const unsigned h264_millibits[10] = {
	20, 30, 40, 50, 60, 80, 100, 130, 170, 220
};
/* Without a quality level. */
#define H264_DEFAULT_QUALITY 6
#define H264_MAX_BITRATE (60 * 1000 * 1000)

struct h264_state {
	struct encoder base;
	ISVCEncoder *enc;
	int w, h;		/* picture size; 0 until set up */
	int x, y;		/* the rectangle the viewer keys it by */
	int quality;		/* the level it was set up for */
	uint8_t *yuv;		/* I420: w * h luma, then two quarter planes */
};

static struct encoder *h264_new(const struct encoder_ops *ops)
{
	struct h264_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->base.ops = ops;
	return &st->base;
}

static void h264_free(struct encoder *e)
{
	struct h264_state *st = (struct h264_state *)e;

	if (!st)
		return;
	if (st->enc) {
		(*st->enc)->Uninitialize(st->enc);
		WelsDestroySVCEncoder(st->enc);
	}
	free(st->yuv);
	free(st);
}

static int quality_of(const struct enc_params *p)
{
	if (p->quality >= 0 && p->quality <= 9)
		return p->quality;
	if (p->fine_quality >= 0)
		return p->fine_quality >= 100 ? 9 : p->fine_quality / 10;
	return H264_DEFAULT_QUALITY;
}

static void fill_params(SEncParamExt *prm, int w, int h, int quality)
{
	SSpatialLayerConfig *l = &prm->sSpatialLayers[0];
	long long bps = (long long)w * h * h264_millibits[quality] *
			H264_FPS / 1000;

	if (bps > H264_MAX_BITRATE)
		bps = H264_MAX_BITRATE;
	prm->iUsageType = CAMERA_VIDEO_REAL_TIME;
	prm->iPicWidth = w;
	prm->iPicHeight = h;
	prm->iTargetBitrate = (int)bps;
	prm->iMaxBitrate = UNSPECIFIED_BIT_RATE;
	prm->iRCMode = RC_BITRATE_MODE;
	prm->fMaxFrameRate = H264_FPS;
	prm->iTemporalLayerNum = 1;
	prm->iSpatialLayerNum = 1;
	prm->iComplexityMode = LOW_COMPLEXITY;
	prm->uiIntraPeriod = 0;		/* key frames on demand only */
	prm->iNumRefFrame = 1;
	prm->eSpsPpsIdStrategy = CONSTANT_ID;
	prm->bPrefixNalAddingCtrl = false;
	prm->bEnableSSEI = false;
	prm->iEntropyCodingModeFlag = 0;	/* CAVLC: baseline */
	/* A skipped picture would leave the viewer without the change. */
	prm->bEnableFrameSkip = false;
	prm->iMultipleThreadIdc = 1;
	prm->bEnableDenoise = false;
	prm->bEnableAdaptiveQuant = false;
	prm->bEnableBackgroundDetection = false;
	prm->bEnableSceneChangeDetect = false;
	prm->bEnableFrameCroppingFlag = true;
	l->iVideoWidth = w;
	l->iVideoHeight = h;
	l->fFrameRate = H264_FPS;
	l->iSpatialBitrate = (int)bps;
	l->iMaxSpatialBitrate = UNSPECIFIED_BIT_RATE;
	l->uiProfileIdc = PRO_BASELINE;
	l->uiLevelIdc = LEVEL_UNKNOWN;
	l->sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
	/* sRGB primaries and transfer, BT.601 matrix, limited range. */
	l->bVideoSignalTypePresent = true;
	l->uiVideoFormat = VF_UNDEF;
	l->bFullRange = false;
	l->bColorDescriptionPresent = true;
	l->uiColorPrimaries = CP_BT709;
	l->uiTransferCharacteristics = TRC_IEC61966_2_1;
	l->uiColorMatrix = CM_SMPTE170M;
}

/* (Re)start the encoder for @w x @h pictures at @quality. */
static int h264_setup(struct h264_state *st, int w, int h, int quality)
{
	SEncParamExt prm;
	int fmt = videoFormatI420, trace = WELS_LOG_QUIET;
	uint8_t *yuv;

	yuv = malloc((size_t)w * h * 3 / 2);
	if (!yuv)
		return -ENOMEM;
	free(st->yuv);
	st->yuv = yuv;
	st->w = 0;
	if (st->enc) {
		(*st->enc)->Uninitialize(st->enc);
	} else if (WelsCreateSVCEncoder(&st->enc) || !st->enc) {
		st->enc = NULL;
		return -ENOMEM;
	}
	(*st->enc)->SetOption(st->enc, ENCODER_OPTION_TRACE_LEVEL, &trace);
	(*st->enc)->GetDefaultParams(st->enc, &prm);
	fill_params(&prm, w, h, quality);
	if ((*st->enc)->InitializeExt(st->enc, &prm) != cmResultSuccess) {
		log_warn("h264: cannot set up a %dx%d encoder", w, h);
		return -EINVAL;
	}
	(*st->enc)->SetOption(st->enc, ENCODER_OPTION_DATAFORMAT, &fmt);
	st->w = w;
	st->h = h;
	st->quality = quality;
	return 0;
}

/* RGB to I420 in bands of rows. */
struct h264_conv {
	const struct h264_state *st;
	const uint32_t *src;	/* the rectangle's top left pixel */
	size_t stride;
	int band;		/* rows per band, even */
};

static inline int luma(int r, int g, int b)
{
	return ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
}

/* Rows y0 .. y0 + rows (even) of the picture. */
static void h264_conv_rows(const struct h264_conv *c, int y0, int rows)
{
	const struct h264_state *st = c->st;
	int w = st->w;
	uint8_t *ly = st->yuv, *lu = ly + (size_t)w * st->h;
	uint8_t *lv = lu + (size_t)(w / 2) * (st->h / 2);

	for (int y = y0; y < y0 + rows; y += 2) {
		const uint32_t *s0 = c->src + (size_t)y * c->stride;
		const uint32_t *s1 = s0 + c->stride;
		uint8_t *y0p = ly + (size_t)y * w, *y1p = y0p + w;
		uint8_t *up = lu + (size_t)(y / 2) * (w / 2);
		uint8_t *vp = lv + (size_t)(y / 2) * (w / 2);

		for (int x = 0; x < w; x += 2) {
			uint32_t p[4] = { s0[x], s0[x + 1], s1[x], s1[x + 1] };
			int r = 0, g = 0, b = 0;

			for (int k = 0; k < 4; k++) {
				int pr = (int)(p[k] >> 16 & 0xff);
				int pg = (int)(p[k] >> 8 & 0xff);
				int pb = (int)(p[k] & 0xff);

				(k < 2 ? y0p : y1p)[x + (k & 1)] =
					(uint8_t)luma(pr, pg, pb);
				r += pr;
				g += pg;
				b += pb;
			}
			r = (r + 2) >> 2;
			g = (g + 2) >> 2;
			b = (b + 2) >> 2;
			up[x / 2] = (uint8_t)(((-38 * r - 74 * g + 112 * b +
						128) >> 8) + 128);
			vp[x / 2] = (uint8_t)(((112 * r - 94 * g - 18 * b +
						128) >> 8) + 128);
		}
	}
}

static void h264_conv_band(void *arg, size_t i, unsigned thread)
{
	const struct h264_conv *c = arg;
	int y, rows = enc_band_rows(c->st->h, c->band, i, &y);

	(void)thread;
	h264_conv_rows(c, y, rows);
}

static int h264_convert(const struct h264_state *st, const struct enc_frame *f,
			int x, int y)
{
	static const struct encpool_ops ops = { .prepare = h264_conv_band };
	struct h264_conv c = { st, f->pixels + (size_t)y * f->stride + x,
			       f->stride, encpool_bands(st->w, st->h, 2) };

	if (!c.band) {
		h264_conv_rows(&c, 0, st->h);
		return 0;
	}
	return encpool_run(&ops, &c, enc_band_count(st->h, c.band)) < 0 ?
		       -ENOMEM : 0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Encode the current picture into @info; a key frame if @key. */
static int h264_encode_picture(struct h264_state *st, bool key,
			       SFrameBSInfo *info)
{
	SSourcePicture pic;
	int w = st->w, h = st->h;

	memset(&pic, 0, sizeof(pic));
	pic.iColorFormat = videoFormatI420;
	pic.iPicWidth = w;
	pic.iPicHeight = h;
	pic.iStride[0] = w;
	pic.iStride[1] = pic.iStride[2] = w / 2;
	pic.pData[0] = st->yuv;
	pic.pData[1] = st->yuv + (size_t)w * h;
	pic.pData[2] = pic.pData[1] + (size_t)(w / 2) * (h / 2);
	pic.uiTimeStamp = mono_ms();
	for (int tries = 0; tries < 2; tries++) {
		if (key || tries)
			(*st->enc)->ForceIntraFrame(st->enc, true);
		memset(info, 0, sizeof(*info));
		if ((*st->enc)->EncodeFrame(st->enc, &pic, info) !=
		    cmResultSuccess)
			return -EIO;
		/* Frame skipping is off; should rate control skip anyway,
		 * the picture goes again as a key frame. */
		if (info->eFrameType != videoFrameTypeSkip &&
		    info->iFrameSizeInBytes > 0)
			return 0;
	}
	return -EIO;
}

/* The rectangle header, length, flags and the NAL units of @info. */
static int h264_put(struct buf *out, int x, int y, int w, int h,
		    uint32_t flags, const SFrameBSInfo *info)
{
	size_t len = (size_t)info->iFrameSizeInBytes;

	if (enc_put_header(out, x, y, w, h, RFB_ENC_H264) < 0 ||
	    buf_reserve(out, RFB_H264_HDR_LEN + len) < 0)
		return -ENOMEM;
	buf_put_u32(out, (uint32_t)len);
	buf_put_u32(out, flags);
	for (int i = 0; i < info->iLayerNum; i++) {
		const SLayerBSInfo *l = &info->sLayerInfo[i];
		size_t n = 0;

		for (int k = 0; k < l->iNalCount; k++)
			n += (size_t)l->pNalLengthInByte[k];
		if (n > len)
			return -EIO;
		buf_put_mem(out, l->pBsBuf, n);
		len -= n;
	}
	return len ? -EIO : 0;
}

static int h264_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	struct h264_state *st = (struct h264_state *)e;
	int w = r->w & ~1, h = r->h & ~1, quality = quality_of(p), n = 1, ret;
	uint32_t flags = 0;
	bool key = p->flags & ENC_F_KEYFRAME;
	SFrameBSInfo info;

	if (!h264_fits(r->w, r->h))
		return enc_put_raw(p, f, r, out);
	if (!st->w || w != st->w || h != st->h || r->x != st->x ||
	    r->y != st->y || quality != st->quality) {
		/* A new context at the viewer: the old ones go. */
		ret = h264_setup(st, w, h, quality);
		if (ret < 0)
			return ret;
		st->x = r->x;
		st->y = r->y;
		flags = RFB_H264_RESET_ALL_CONTEXTS;
		key = true;
	}
	ret = h264_convert(st, f, r->x, r->y);
	if (ret < 0)
		return ret;
	ret = h264_encode_picture(st, key, &info);
	if (ret < 0)
		return ret;
	ret = h264_put(out, r->x, r->y, w, h, flags, &info);
	if (ret < 0)
		return ret;
	if (w < r->w) {
		struct rect col = { r->x + w, r->y, 1, r->h };

		if ((ret = enc_put_raw(p, f, &col, out)) < 0)
			return ret;
		n++;
	}
	if (h < r->h) {
		struct rect row = { r->x, r->y + h, w, 1 };

		if ((ret = enc_put_raw(p, f, &row, out)) < 0)
			return ret;
		n++;
	}
	return n;
}

const struct encoder_ops encoder_h264 = {
	.type = RFB_ENC_H264,
	.name = "h264",
	.lossy = true,
	.new_state = h264_new,
	.free_state = h264_free,
	.encode = h264_encode,
};
