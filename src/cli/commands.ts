/** The registry of `esci` subcommands: adding a command = a file in cli/ plus a row here. */
import { classifyCommand } from "./classify.js";
import type { Command } from "./command.js";
import { evaluateCommand } from "./evaluate.js";
import { indexCommand } from "./index-catalog.js";
import { predictCommand } from "./predict.js";
import { quantizeCommand } from "./quantize.js";
import { searchCommand } from "./search.js";
import { serveCommand } from "./serve.js";
import { substitutesCommand } from "./substitutes.js";
import { trainCommand } from "./train.js";

export const commands: Command[] = [
  predictCommand,
  classifyCommand,
  evaluateCommand,
  indexCommand,
  searchCommand,
  substitutesCommand,
  trainCommand,
  quantizeCommand,
  serveCommand,
];
