/** The shape of one CLI subcommand. Each lives in its own file and is listed in commands.ts. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Returns the exit status (0 when omitted). Throws EsciError for user-facing failures. */
  run(argv: string[]): Promise<number | void>;
}
