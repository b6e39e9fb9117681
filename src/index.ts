export * from './caller-authorization';
export * from './calling-hours';
export * from './outbound-caller';
export * from './outbound-caller-monitoring';
