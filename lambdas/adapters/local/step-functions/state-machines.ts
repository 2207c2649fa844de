import './polyfill.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import { canonicalJson } from './same-json.ts';

// The library validates a definition with asl-validator on every construction (0.3-0.6 s here);
// a definition validated once in this process is valid the next time too.
const validated = new Set<string>();

/** A library state machine for a definition, validated the first time this process sees it. */
export function stateMachineFor(definition: object): StateMachine {
  const key = canonicalJson(definition);
  const machine = new StateMachine(definition as ConstructorParameters<typeof StateMachine>[0], {
    validationOptions: { noValidate: validated.has(key) },
  });
  validated.add(key);
  return machine;
}
