-- Filtered search over few images is answered by an exact scan of the images that pass the filter
-- (EXACT_SEARCH_MAX_ROWS). A b-tree on the filter columns finds them without reading every image:
-- `pnpm bench index` at 100k vectors, 2% passing: 18 ms instead of 83 ms (see infra/README.md).
CREATE INDEX "images_grade_eye_source_idx" ON "images"("grade", "eye", "source");
