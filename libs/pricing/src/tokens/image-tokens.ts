/** An image in a prompt; dimensions when the caller knows them. */
export interface ImagePart {
  readonly type: 'image';
  readonly width?: number;
  readonly height?: number;
  /**
   * OpenAI's `image_url.detail`; `auto` is counted as `high`, and so is `original` (the image at
   * its own resolution, on the latest models), whose own count is not modeled here.
   */
  readonly detail?: 'low' | 'high' | 'auto' | 'original';
}

const BASE_TOKENS = 85;
const TILE_TOKENS = 170;
const TILE = 512;
/** The most tiles an image can have after scaling: 768 x 2048 is 2 x 4 tiles. */
const MAX_TILES = 8;

/**
 * Image token rule (OpenAI's documented tile rule for GPT-4o-class vision, used for every model):
 * `detail: low` costs 85 tokens; otherwise the image is scaled down to fit 2048 x 2048, then
 * down so its shorter side is at most 768, and costs 85 + 170 per 512 x 512 tile
 * (1024 x 1024 -> 765, 2048 x 4096 -> 1105). Without dimensions the largest possible count is
 * assumed: 85 + 170 x 8 = 1445. Models that count images by 32-pixel patches with a multiplier
 * (gpt-4o-mini, gpt-4.1-mini/nano, gpt-5-mini/nano, o4-mini) report more image tokens at an
 * equivalent cost; their counts are not modeled here.
 */
export function imageTokens(image: ImagePart): number {
  if (image.detail === 'low') return BASE_TOKENS;
  const { width, height } = image;
  if (!isDimension(width) || !isDimension(height)) return BASE_TOKENS + TILE_TOKENS * MAX_TILES;
  // Integer pixel sizes after each resize (floored), so tile counts never suffer rounding noise.
  let w = Math.round(width);
  let h = Math.round(height);
  const longer = Math.max(w, h);
  if (longer > 2048) {
    w = Math.max(1, Math.floor((w * 2048) / longer));
    h = Math.max(1, Math.floor((h * 2048) / longer));
  }
  const shorter = Math.min(w, h);
  if (shorter > 768) {
    w = Math.floor((w * 768) / shorter);
    h = Math.floor((h * 768) / shorter);
  }
  return BASE_TOKENS + TILE_TOKENS * Math.ceil(w / TILE) * Math.ceil(h / TILE);
}

function isDimension(value: number | undefined): value is number {
  // Absurd sizes are treated as unknown (worst case) rather than trusted.
  return value !== undefined && Number.isFinite(value) && value >= 1 && value <= 1_000_000;
}
