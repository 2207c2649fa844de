/** A few named blobs (a project's serialized keyword index): S3 objects in AWS, files locally. */
export interface BlobStore {
  /** Undefined when there is no such blob. */
  get(key: string): Promise<string | undefined>;
  put(key: string, body: string): Promise<void>;
  delete(key: string): Promise<void>;
}
