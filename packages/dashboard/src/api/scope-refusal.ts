/**
 * A 403 `insufficient_scope` in words: what this sign-in is, and what the action needs. A portal
 * sign-in manages webhooks and reads deliveries; publishing events, keys and links stay with the
 * platform, so the sentence sends the person back there rather than to a form they cannot fix.
 */
export function describeScopeRefusal(message: string, signedInWithPortalLink: boolean): string {
  const needed = /needs the "(\w+)" scope/.exec(message)?.[1];
  const need = needed === undefined ? '' : ` It needs an API key with the "${needed}" scope.`;
  return signedInWithPortalLink
    ? `Your sign-in link does not allow this.${need} Ask the application that sent you here.`
    : `Your API key does not allow this.${need}`;
}
