/** One colour per DR grade, from healthy (blue) to proliferative (dark red): the maps' and curves' legend. */
export const GRADE_COLOURS: readonly string[] = ['#2c7bb6', '#74add1', '#fdae61', '#f46d43', '#a50026'];

export const GRADE_NAMES: readonly string[] = ['0 none', '1 mild', '2 moderate', '3 severe', '4 proliferative'];
