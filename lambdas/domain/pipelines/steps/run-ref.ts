/** The ids every step of a run receives (the state machine's `run` object). */
export interface RunRef {
  name: string;
  projectId: string;
  ownerId: number;
  chatId: number;
}
