/**
 * Replaces every occurrence of the secrets (API keys) in a text with `***`. The last line of defence for
 * messages that leave the process (CLI errors, worker log lines and error answers): nothing should put a key
 * in a message, and if something ever does, it is not shown. Secrets shorter than 4 characters are left
 * alone (masking them would garble ordinary words).
 */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}
