/**
 * The shapes of the Graph answers tests read, so that tests name the fields they assert on
 * instead of reading an untyped body. One shape covers an entity, a collection page, a $batch
 * answer and an error answer: the fields a test reads by name are declared present, because a test
 * that reads one asserts the answer has it (reading it from an answer without it fails the test).
 */

/** Graph's error object (`{ error: { code, message } }`). */
export interface GraphError {
  readonly code: string;
  readonly message: string;
  readonly innerError?: Readonly<Record<string, unknown>>;
}

/** One item of a `$batch` answer. */
export interface GraphBatchItem {
  readonly id: string;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: GraphBody;
}

/** A Graph answer body: an entity, a collection page, a `$batch` answer or an error. */
export interface GraphBody {
  readonly [field: string]: unknown;
  readonly id: string;
  readonly appId: string;
  readonly displayName?: string;
  readonly scope?: string;
  readonly principalId?: string;
  readonly resourceId?: string;
  readonly appRoleId?: string;
  readonly clientId?: string;
  readonly consentType?: string;
  readonly createdDateTime?: string;
  readonly servicePrincipalNames?: readonly string[];
  readonly appRoles: readonly { readonly id: string; readonly value: string }[];
  readonly oauth2PermissionScopes: readonly { readonly id: string; readonly value: string }[];
  readonly servicePlans: readonly {
    readonly servicePlanId: string;
    readonly servicePlanName: string;
    readonly provisioningStatus: string;
  }[];
  readonly value: readonly GraphBody[];
  readonly responses: readonly GraphBatchItem[];
  readonly error: GraphError;
}
