/** A module option that is missing or wrong. Thrown at start-up, never per request. */
export class MicrokubesOptionsError extends Error {
  constructor(
    readonly option: string,
    /** What is wrong, without the option's name. */
    readonly problem: string,
  ) {
    super(`Invalid MicrokubesModule option "${option}": ${problem}`);
    this.name = 'MicrokubesOptionsError';
  }
}
