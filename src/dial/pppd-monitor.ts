/**
 * wvdial's pppd monitor (WvDialMon::analyse_line): of pppd's log lines, wvdial shows the ones
 * a user follows — authentication, addresses, the interface, connect time, termination — and
 * notes a failed authentication of ours for the exit report.
 */
export class PppdMonitor {
  authFailed = false;

  /** The lines to print (as `--> LINE`) for one pppd log line. */
  analyse(line: string): string[] {
    const out: string[] = [];
    const quoted = /"([^"]+)"/.exec(line)?.[1];
    const msg = quoted ? ` (Message: ${quoted} )` : '';
    if (line.includes('AuthReq')) out.push('Authentication (PAP) started');
    if (line.includes('AuthAck')) out.push('Authentication (PAP) successful');
    if (line.includes('AuthNak')) {
      out.push(`Authentication (PAP) failed${msg}`);
      this.authFailed = true;
    }
    if (line.includes('CHAP Challenge')) out.push('Authentication (CHAP) started');
    if (line.includes('CHAP Success')) out.push('Authentication (CHAP) successful');
    if (line.includes('CHAP Failure')) {
      out.push(`Authentication (CHAP) failed${msg}`);
      this.authFailed = true;
    }
    // dialtone logs the result in pppd's words without -debug's packet dumps.
    if (/^(PAP|CHAP) authentication failed/.test(line)) this.authFailed = true;
    if (/^(local {2}IP address|remote IP address|primary {3}DNS address|secondary DNS address)/.test(line)) out.push(line);
    if (line.includes('LCP TermReq')) out.push(`Terminate Request${msg}`);
    if (/^(Connect time|Using interface|Terminating)/.test(line)) out.push(line);
    return out;
  }
}
