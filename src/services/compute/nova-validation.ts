/**
 * What Nova's validators put into their messages, shared by the compute schemas: Python's repr of
 * a value (jsonschema quotes the value it refused that way) and Nova's boolean values.
 */

export { pyRepr } from '../python-repr.js';

/** Nova's parameter_types.boolean enum: the values a boolean field or parameter may take. */
export const NOVA_BOOLEANS: Array<boolean | string> = [
  true,
  'True',
  'TRUE',
  'true',
  '1',
  'ON',
  'On',
  'on',
  'YES',
  'Yes',
  'yes',
  false,
  'False',
  'FALSE',
  'false',
  '0',
  'OFF',
  'Off',
  'off',
  'NO',
  'No',
  'no',
];
