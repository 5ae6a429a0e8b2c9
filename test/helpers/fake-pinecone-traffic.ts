/**
 * What went over the wire to the local Pinecone stand-in, per endpoint: the number of requests, the bytes sent
 * (request body and query string: fetch puts its ids in the URL) and the bytes answered (response body). Headers
 * are left out: they are the same for every request and carry no data.
 */
export interface EndpointTraffic {
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

export class Traffic {
  private readonly byEndpoint = new Map<string, EndpointTraffic>();

  /** Counts one request; the returned entry takes the response's bytes when it is sent. */
  request(method: string, url: URL, bodyBytes: number): EndpointTraffic {
    // Data-plane paths name no index; the control plane's do (`/indexes/<name>`), which is one endpoint.
    const path = url.pathname
      .replace(/^\/indexes\/[^/]+/, '/indexes/{name}')
      .replace(/^\/namespaces\/[^/]+/, '/namespaces/{namespace}');
    const key = `${method} ${path}`;
    let entry = this.byEndpoint.get(key);
    if (!entry) this.byEndpoint.set(key, (entry = { requests: 0, bytesIn: 0, bytesOut: 0 }));
    entry.requests++;
    entry.bytesIn += bodyBytes + Buffer.byteLength(url.search);
    return entry;
  }

  reset(): void {
    this.byEndpoint.clear();
  }

  /** A copy, endpoints sorted by name, so two snapshots compare with deepEqual. */
  snapshot(): Record<string, EndpointTraffic> {
    const out: Record<string, EndpointTraffic> = {};
    for (const key of [...this.byEndpoint.keys()].sort()) out[key] = { ...this.byEndpoint.get(key)! };
    return out;
  }

  /** Requests and bytes over every endpoint. */
  total(): EndpointTraffic {
    const sum = { requests: 0, bytesIn: 0, bytesOut: 0 };
    for (const e of this.byEndpoint.values()) {
      sum.requests += e.requests;
      sum.bytesIn += e.bytesIn;
      sum.bytesOut += e.bytesOut;
    }
    return sum;
  }
}
