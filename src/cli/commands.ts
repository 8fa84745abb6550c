/**
 * The registry of `esci` subcommands: adding a command = a file in cli/ plus a row here. Rows
 * load their module on demand, so a command pays only for its own imports (`esci predict` does
 * not load fastify, the training code or the report writer: part of its cold start).
 */
import type { Command } from "./command.js";

export const commands: Readonly<Record<string, () => Promise<Command>>> = {
  predict: async () => (await import("./predict.js")).predictCommand,
  classify: async () => (await import("./classify.js")).classifyCommand,
  evaluate: async () => (await import("./evaluate.js")).evaluateCommand,
  index: async () => (await import("./index-catalog.js")).indexCommand,
  search: async () => (await import("./search.js")).searchCommand,
  substitutes: async () => (await import("./substitutes.js")).substitutesCommand,
  train: async () => (await import("./train.js")).trainCommand,
  calibrate: async () => (await import("./calibrate.js")).calibrateCommand,
  distill: async () => (await import("./distill.js")).distillCommand,
  quantize: async () => (await import("./quantize.js")).quantizeCommand,
  serve: async () => (await import("./serve.js")).serveCommand,
  worker: async () => (await import("./worker.js")).workerCommand,
};
