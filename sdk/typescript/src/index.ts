/**
 * @attendify/client: the typed client of the Attendify services,
 * generated from their OpenRPC documents (see README.md).
 * @module
 */

export { createClient, type AttendifyClient } from "./client.js";
export {
  AttendifyError,
  clientCodes,
  isAttendifyError,
  protocolCodes,
  resendable,
  type FieldError,
  type WireError,
} from "./errors.js";
export { errorCodes, type ErrorCode, type ErrorReason } from "./generated/errors.js";
export * from "./generated/index.js";
export type {
  FileBody,
  ImportUpload,
  StreamOptions,
  UploadedPhoto,
  WallAddress,
  WallChanges,
  WallItem,
  WallScreen,
} from "./routes.js";
export { Transport, type Call, type CallOptions, type ClientOptions, type MethodFn, type MethodMeta, type Settled } from "./runtime.js";
