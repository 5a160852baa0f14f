/**
 * Runs actionpool's actions as Backstage scaffolder actions.
 *
 * @packageDocumentation
 */
export { actionPoolModule as default } from './module';
