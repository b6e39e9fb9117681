export * from './caller-authorization';
export * from './outbound-caller';
