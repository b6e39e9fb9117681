/**
 * Fixed ids shaped like the real ones (GUIDs, E.164), shared by every test,
 * the integ app and the sandbox's example app. Plain constants: handler tests
 * import them without loading aws-cdk-lib.
 */
export const INSTANCE_ID = '10a4c4eb-f57e-4d4c-b602-bf39176ced07';
export const CONTACT_FLOW_ID = '846ec553-a005-41c0-8341-2a9cf1e8f2a7';
export const OTHER_CONTACT_FLOW_ID = '2f4c6e8a-1b3d-4f5a-8c7e-9d0b1a2c3e4f';
export const QUEUE_ID = '5b2b7a5e-7c5a-4b8a-9c47-9a6f0a1d2e3f';
export const OTHER_QUEUE_ID = '7e9d1c3b-5a7f-4e2d-8b6c-0a1f3e5d7c9b';
export const SOURCE_PHONE_NUMBER = '+14155550100';
export const OTHER_SOURCE_PHONE_NUMBER = '+14155550101';
export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
