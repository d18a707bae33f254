/**
 * `<bankid-login>` in Vue 3 templates, for `vue-tsc` and Volar: attributes, `.prop` bindings and
 * the events' payloads, typed from the element. Type-only; load it once anywhere in the program:
 * `import type {} from 'bankid-login/vue'`.
 *
 * `vue-tsc` checks every name in its camelCase form (`launch-button-delay` as `launchButtonDelay`), so
 * the types are the element's properties. At run time Vue sets a binding as a property when the
 * element has one of that exact name (`api`, `:headers`, `:messages`, `:launchButtonDelay`,
 * `:startOnConnect`) and otherwise as an attribute (`launch-button-delay`, `start-on-connect`):
 * bind numbers and booleans (`:launch-button-delay="3000"`, `:startOnConnect="false"`).
 * Tell Vue's compiler the tag is a custom element (`isCustomElement`, examples/vue/vite.config.ts).
 */
import type { AllowedComponentProps, EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { BankIdLogin } from './bankid-login.js';
import type { BankIdLoginEventMap, BankIdLoginProperties } from './framework-types.js';

/** The props of `<bankid-login>` in a template. */
export type BankIdLoginVueProps = HTMLAttributes & BankIdLoginProperties;

/** The element's events as Vue's `$emit` describes them: `@bankid-complete="(event) => …"`. */
export type BankIdLoginVueEmit = EmitFn<{
  [K in keyof BankIdLoginEventMap]: (event: BankIdLoginEventMap[K]) => void;
}>;

/** What Volar reads for a component: the instance type with `$props` and `$emit`. */
export type BankIdLoginVueComponent = new () => BankIdLogin & {
  /** @deprecated For template type checking only: not a property of the element. */
  $props: BankIdLoginVueProps & PublicProps & AllowedComponentProps;
  /** @deprecated For template type checking only: not a method of the element. */
  $emit: BankIdLoginVueEmit;
};

declare module 'vue' {
  interface GlobalComponents {
    'bankid-login': BankIdLoginVueComponent;
  }
}
