/** Bounds on the images we are willing to decode. */
export interface ImageLimits {
  /** width * height above which an image is refused before any pixel is decoded. */
  maxPixels: number;
  /** Shortest side below which an image carries too little retina to be worth embedding. */
  minSide: number;
}

/**
 * 100 MP comfortably covers fundus cameras (the largest Kaggle EyePACS frames are about 5200x3500 = 18 MP) while
 * keeping one decode at a few hundred MB in the worst case. 32 px is far below anything useful but
 * stops 1x1 junk early.
 */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = Object.freeze({ maxPixels: 100_000_000, minSide: 32 });
