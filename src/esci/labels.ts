/**
 * The ESCI labels and their gains, in one place.
 *
 * The Shopping Queries Dataset writes labels as single letters (`esci_label`: E/S/C/I); models on
 * the hub name them in full ("exact", "Substitute", …). Everything in esci/ converts to the letter
 * form on the way in, so metrics, reports and rankings never compare spellings. On the way out one
 * rule holds for every output (prediction files, `classify`, `search --json`, the HTTP API):
 * `label` is the checkpoint's id2label name and `probs` is keyed by those names; where the label
 * is an ESCI class, `esci` adds its letter. The gains are those
 * of the KDD Cup 2022 Task 1 and of the dataset paper (Reddy et al., 2022): E 1.0, S 0.1, C 0.01,
 * I 0 — note that amazon-science/esci-data's `prepare_trec_eval_files.py` swapped S and C in its
 * level mapping, which its maintainers acknowledged as a bug (esci-data#18); we follow the paper.
 */
import { EsciError } from "../errors/index.js";

export const ESCI_LABELS = ["E", "S", "C", "I"] as const;
export type EsciLabel = (typeof ESCI_LABELS)[number];

export const ESCI_LABEL_NAMES: Readonly<Record<EsciLabel, string>> = {
  E: "exact",
  S: "substitute",
  C: "complement",
  I: "irrelevant",
};

/** Task 1 gains (KDD Cup 2022, dataset paper). */
export const ESCI_GAINS: Readonly<Record<EsciLabel, number>> = { E: 1.0, S: 0.1, C: 0.01, I: 0 };

const ALIASES: ReadonlyMap<string, EsciLabel> = new Map<string, EsciLabel>([
  ["e", "E"],
  ["s", "S"],
  ["c", "C"],
  ["i", "I"],
  ["exact", "E"],
  ["substitute", "S"],
  ["complement", "C"],
  ["irrelevant", "I"],
]);

/** The canonical letter for `E/S/C/I` or a full name (case-insensitive, surrounding blanks ignored); undefined otherwise. */
export function parseEsciLabel(raw: unknown): EsciLabel | undefined {
  if (typeof raw !== "string") return undefined;
  return ALIASES.get(raw.trim().toLowerCase());
}

/** Where a value came from, for error messages that name the file, row and column at fault. */
export interface Origin {
  file: string;
  /** 1-based data row (the header of a CSV file is not a row). */
  row?: number;
  column?: string;
}

export function describeOrigin(o: Origin): string {
  let s = o.file;
  if (o.row !== undefined) s += `, row ${o.row}`;
  if (o.column !== undefined) s += `, column "${o.column}"`;
  return s;
}

/** Like parseEsciLabel, but a value that is not a label is an INVALID_INPUT error naming where it was. */
export function requireEsciLabel(raw: unknown, origin: Origin): EsciLabel {
  const l = parseEsciLabel(raw);
  if (l === undefined) {
    throw new EsciError(
      "INVALID_INPUT",
      `${describeOrigin(origin)}: unknown label ${JSON.stringify(raw)} (expected E, S, C, I or exact, substitute, complement, irrelevant)`,
      { ...origin, value: raw },
    );
  }
  return l;
}

/**
 * Map a model's label names (config.json id2label, or --labels) to ESCI letters, in id order.
 * Throws UNSUPPORTED when a name is not an ESCI label, since gains and ESCI metrics need all four.
 */
export function esciLabelsOf(modelLabels: readonly string[]): EsciLabel[] {
  return modelLabels.map((name) => {
    const l = parseEsciLabel(name);
    if (l === undefined) {
      throw new EsciError(
        "UNSUPPORTED",
        `model label "${name}" is not an ESCI label (labels: ${modelLabels.join(", ")}); pass \`labels: ["E", "S", "C", "I"]\` in the model's id order`,
        { labels: [...modelLabels], options: ["labels"] },
      );
    }
    return l;
  });
}

/**
 * P(ESCI class `letter`) from probabilities keyed by a model's label names: the sum over the names
 * that spell that class (0 when none does).
 */
export function esciProbability(probs: Readonly<Record<string, number>>, letter: EsciLabel): number {
  let p = 0;
  for (const [name, v] of Object.entries(probs)) if (parseEsciLabel(name) === letter) p += v;
  return p;
}
