/**
 * esci's io layer: reading tables (JSONL, CSV, Parquet) with one row numbering and one "no rows"
 * rule, the resumable output of long scoring runs, the check every written path passes before
 * work starts, and the one atomic writer through which every file is put in place.
 */
export { readTableBatches, countTableRows, assertHasRows, tableFormatOf, type TableRow, type TableIssue, type TableReadOptions, type TableFormat } from "./table.js";
export { readCsvBatches, csvField, type CsvRecord } from "./csv.js";
export { readLineBatches, type Line } from "./lines.js";
export { openParquet } from "./parquet.js";
export { ResumableOutput, settingDifferences, type SettingDifference } from "./resumable.js";
export { checkOutputPath, type OutputPathOptions } from "./output-path.js";
export { writeFileAtomic, writeFileAtomicSync, moveIntoPlace, moveIntoPlaceSync, tempSibling, syncDirectory } from "./atomic.js";
