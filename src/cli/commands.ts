/** The registry of `esci` subcommands: adding a command = a file in cli/ plus a row here. */
import type { Command } from "./command.js";

export const commands: Command[] = [];
