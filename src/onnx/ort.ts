/**
 * onnxruntime-node, as every other module here imports it. Importing it through this module turns
 * ONNX Runtime's telemetry off unless the user set ORT_DISABLE_TELEMETRY themselves: since 1.29
 * the Linux and macOS builds create a 1DS ("Microsoft Applications Telemetry") uploader with each
 * process's first session, which sends usage events and leaves an empty `mat-debug-<pid>.log` in
 * the temp dir of every process that loads a model. ONNX Runtime reads the variable when it creates
 * its environment (the first session), so setting it at import is early enough; worker threads see
 * the variable the main thread set. ORT_DISABLE_TELEMETRY=0 keeps the telemetry.
 */
export * as ort from "onnxruntime-node";

process.env.ORT_DISABLE_TELEMETRY ??= "1";
