export { computeSignature, signatureHeader, signaturesEqual, type RawBody } from './signature.js';
export { envelopeJson, HEADERS } from './envelope.js';
