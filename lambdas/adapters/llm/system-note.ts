/**
 * How a system note reaches a real model: as text inside a marker the person cannot produce,
 * because the same marker in the person's own text is defused before it is sent. The system
 * prompt tells the model that only marked notes come from the system.
 */
const MARKER = /<(\/?)system-note/gi;

export function systemNoteText(text: string): string {
  return `<system-note>${defuseMarkers(text)}</system-note>`;
}

/** Text written by a person (or the model), with any look-alike marker made harmless. */
export function defuseMarkers(text: string): string {
  return text.replace(MARKER, '‹$1system-note');
}
