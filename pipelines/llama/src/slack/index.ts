export { ORGANISATIONS, slackSettings, type SlackOrganisation, type SlackSettings } from './config.js';
export { redactSecrets, uploadToSlack, type SlackUpload, type UploadReceipt } from './client.js';
export { receiptMessage, slackReceiptGenerator } from './receipt.js';
export { fileVersion, filenameForDownload, eventSnapshot, UNVERSIONED, type FileVersion } from './versioned-filename.js';
