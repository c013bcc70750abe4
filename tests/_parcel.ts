// A class for the consumer test of tests/queue_test.ts: the main thread puts
// Parcels, and a thread whose target module (tests/_parcel_consumer.ts)
// imports the class by name gets them synchronously. Nothing else imports
// this module.

/** A class that its consumers import by name. */
export class Parcel {
  constructor(public label: string, public grams: number) {}
  heavy(): boolean {
    return this.grams > 1000;
  }
}
