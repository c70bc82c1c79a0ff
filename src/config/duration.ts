/** A span of time parsed once from configuration ("900", "15m", "7d"), never a bare number in the code. */
export class Duration {
  private constructor(readonly seconds: number) {
    Object.freeze(this); // a Config is frozen all the way down, its durations too
  }

  static seconds(value: number): Duration {
    return new Duration(value);
  }

  static parse(text: string): Duration | undefined {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
    if (!match) return undefined;
    const unit = (match[2] ?? '').toLowerCase();
    const factor = unit === 'd' ? 86_400 : unit === 'h' ? 3_600 : unit === 'm' ? 60 : 1;
    if (unit === '' && match[1]?.includes('.')) return undefined; // bare values are whole seconds
    return new Duration(Math.round(Number(match[1]) * factor));
  }

  get milliseconds(): number {
    return this.seconds * 1000;
  }

  toString(): string {
    return `${this.seconds}s`;
  }
}
