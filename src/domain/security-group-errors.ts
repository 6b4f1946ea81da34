// Neutron's security group faults (neutron_lib/exceptions/securitygroup.py), with its messages;
// the code is the NeutronError type on the wire.
import { DomainError } from './errors.js';

/** 404 `Security group <id> does not exist`. */
export const sgNotFound = (id: string) =>
  new DomainError('not-found', 'SecurityGroupNotFound', `Security group ${id} does not exist`, { id });

/** 404 `Security group rule <id> does not exist`. */
export const sgRuleNotFound = (id: string) =>
  new DomainError('not-found', 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`, { id });

/** 409 `Security group rule already exists. Rule id is <id>.` */
export const sgRuleExists = (ruleId: string) =>
  new DomainError('conflict', 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${ruleId}.`, {
    ruleId,
  });

/** 409 `Security Group <id> in use.` (a port uses it). */
export const sgInUse = (id: string) =>
  new DomainError('conflict', 'SecurityGroupInUse', `Security Group ${id} in use.`, { id });

/** 409 for a non-admin deleting a default group. */
export const sgCannotRemoveDefault = () =>
  new DomainError(
    'conflict',
    'SecurityGroupCannotRemoveDefault',
    'Insufficient rights for removing default security group.',
  );

/** 409 renaming a default group. */
export const sgCannotUpdateDefault = () =>
  new DomainError('conflict', 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');

/** 409 creating a group named `default`. */
export const sgDefaultAlreadyExists = () =>
  new DomainError('conflict', 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');

/** 400: Neutron's InvalidInput subclasses carry their own type; `type` names it. */
export const sgInvalid = (type: string, message: string) => new DomainError('invalid', type, message);

/** 400 `Invalid input for <attr>. Reason: <reason>.` (the API layer's attribute validation). */
export const neutronInvalidAttr = (attr: string, reason: string) =>
  new DomainError('invalid', 'HTTPBadRequest', `Invalid input for ${attr}. Reason: ${reason}.`);

/** 400 `Invalid input for operation: <reason>.` (InvalidInput). */
export const neutronInvalidInput = (reason: string) =>
  new DomainError('invalid', 'InvalidInput', `Invalid input for operation: ${reason}.`);

/** 409 `Quota exceeded for resources: ['<resource>'].` (OverQuota). */
export const neutronOverQuota = (resource: string) =>
  new DomainError('conflict', 'OverQuota', `Quota exceeded for resources: ['${resource}'].`, { resource });

/** 403 from Neutron's policy engine (oslo.policy's PolicyNotAuthorized, as Neutron words it). */
export const neutronPolicyRefused = (rule: string) =>
  new DomainError('forbidden', 'PolicyNotAuthorized', `rule:${rule} is disallowed by policy`, { rule });
