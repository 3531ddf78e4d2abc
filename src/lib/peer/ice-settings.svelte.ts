/**
 * The start page's "Advanced: network" settings: STUN/TURN servers, the TURN
 * username and credential, and "relay only". Checked as they are typed
 * (ice-servers.ts); remembered in this browser whenever the whole form is
 * valid, so the last good settings come back after a reload. Stored settings
 * that fail the check are ignored with a note in the console.
 *
 * A problem is shown once its field has been left (or after a start was
 * refused), not while the first characters are typed.
 */

import { readStored, STORAGE_KEYS, writeStored } from '../prefs';
import { checkIceForm, decodeStoredIce, EMPTY_ICE_FORM, encodeStoredIce, firstProblemField, type IceCheck, type IceField, type IceForm, type IceProblem } from './ice-servers';
import type { PairOptions } from './session.svelte';

export class IceSettings {
  urls = $state(EMPTY_ICE_FORM.urls);
  username = $state(EMPTY_ICE_FORM.username);
  credential = $state(EMPTY_ICE_FORM.credential);
  relayOnly = $state(EMPTY_ICE_FORM.relayOnly);
  /** The disclosure (closed by default). */
  open = $state(false);
  /** A start was refused because of these settings (the page says so until they are fixed). */
  refused = $state(false);
  #shown = $state<Record<IceField, boolean>>({ urls: false, username: false, credential: false, relayOnly: false });

  readonly check: IceCheck = $derived(checkIceForm({ urls: this.urls, username: this.username, credential: this.credential, relayOnly: this.relayOnly }));

  constructor() {
    const { form, note } = decodeStoredIce(readStored(STORAGE_KEYS.ice));
    if (note) console.warn(`wiretab: ignoring the stored network settings (localStorage '${STORAGE_KEYS.ice}'): ${note}. Pairing uses no STUN/TURN server until new ones are entered.`);
    if (form) this.#assign(form);
  }

  /** A change from the form; remembered at once if the whole form is valid. */
  set(patch: Partial<IceForm>): void {
    this.#assign(patch);
    if (patch.relayOnly !== undefined) this.#shown.relayOnly = true;
    const check = this.check;
    if (check.ok) {
      this.refused = false;
      writeStored(STORAGE_KEYS.ice, encodeStoredIce(check.form));
    }
  }

  /** The person left a field: its problems show from now on. */
  leave(field: IceField): void {
    this.#shown[field] = true;
  }

  /** Problems of one field that are due to be shown. */
  problems(field: IceField): IceProblem[] {
    const check = this.check;
    return check.ok || !this.#shown[field] ? [] : check.problems.filter((p) => p.field === field);
  }

  /** How many servers the form holds now (valid ones), for the summary line. */
  get servers(): number {
    return this.check.ok ? this.check.config.iceServers.length : 0;
  }

  /**
   * The options to pair with, or undefined when the form has problems: then
   * every problem is shown, the disclosure opens, and the return says which
   * field to focus.
   */
  pairOptions(): { ok: true; options: PairOptions } | { ok: false; focus: IceField } {
    const check = this.check;
    if (check.ok) return { ok: true, options: { iceServers: check.config.iceServers, iceTransportPolicy: check.config.iceTransportPolicy } };
    this.#shown = { urls: true, username: true, credential: true, relayOnly: true };
    this.open = true;
    this.refused = true;
    return { ok: false, focus: firstProblemField(check.problems) ?? 'urls' };
  }

  #assign(patch: Partial<IceForm>): void {
    if (patch.urls !== undefined) this.urls = patch.urls;
    if (patch.username !== undefined) this.username = patch.username;
    if (patch.credential !== undefined) this.credential = patch.credential;
    if (patch.relayOnly !== undefined) this.relayOnly = patch.relayOnly;
  }
}
