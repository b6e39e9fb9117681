export * from './caller-authorization';
export * from './outbound-caller';
export * from './outbound-caller-monitoring';
