import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isStandardSkymapName } from '../gracedb/skymap-names.js';
import { parseNoticeEventId } from './event-id.js';
import { parseLvkAlert } from './igwn-alert.js';
import { parseVoEvent, skymapFilenameFromUrl } from './voevent.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../../test/ingest/fixtures/${name}`, import.meta.url), 'utf8');

describe('parseVoEvent', () => {
  it('reads an LVK Preliminary notice', () => {
    const parsed = parseVoEvent(fixture('MS260103c-1-Preliminary.xml'));
    expect(parsed.kind).toBe('lvk');
    if (parsed.kind !== 'lvk') return;
    expect(parsed.notice).toMatchObject({
      eventId: 'MS260103c-1-Preliminary', graceId: 'MS260103c', serial: 1, noticeType: 'Preliminary', packetType: 150,
      role: 'test', far: 1.2e-9, pipeline: 'gstlal', group: 'CBC', instruments: 'H1,L1,V1', significant: true,
      eventTimeIso: '2026-01-03T22:10:00.500000', noticeTimeIso: '2026-01-03T22:10:31Z',
      skymapUrl: 'https://gracedb.ligo.org/api/superevents/MS260103c/files/bayestar.multiorder.fits,0',
    });
  });

  it('reads the citations of a Retraction', () => {
    const parsed = parseVoEvent(fixture('S260105x-3-Retraction.xml'));
    expect(parsed.kind === 'lvk' && parsed.notice.citations).toEqual(['ivo://gwnet/LVC#S260105x-1-Preliminary', 'ivo://gwnet/LVC#S260105x-2-Update']);
    expect(parsed.kind === 'lvk' && parsed.notice.skymapUrl).toBeUndefined();
  });

  it('accepts an EarlyWarning (163) and refuses a type that contradicts the IVORN', () => {
    const early = fixture('MS260103c-1-Preliminary.xml')
      .replace('MS260103c-1-Preliminary"', 'MS260103c-1-EarlyWarning"')
      .replace('value="150"', 'value="163"')
      .replace('name="AlertType" value="Preliminary"', 'name="AlertType" value="EarlyWarning"');
    expect(parseVoEvent(early)).toMatchObject({ kind: 'lvk', notice: { noticeType: 'EarlyWarning' } });
    const contradiction = fixture('MS260103c-1-Preliminary.xml').replace('name="AlertType" value="Preliminary"', 'name="AlertType" value="Initial"');
    expect(parseVoEvent(contradiction)).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('does not match the IVORN') });
  });

  it('tells other missions, malformed XML and bad roles apart', () => {
    expect(parseVoEvent(fixture('icecube-gold.xml')).kind).toBe('not-lvk');
    const counterpart = fixture('MS260103c-1-Preliminary.xml').replace('MS260103c-1-Preliminary"', 'MS260103c-1-Counterpart"');
    expect(parseVoEvent(counterpart)).toMatchObject({ kind: 'not-lvk', reason: expect.stringContaining('an LVK Counterpart notice, not a GW alert') });
    expect(parseVoEvent(fixture('truncated.xml')).kind).toBe('invalid');
    expect(parseVoEvent('<root/>')).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('not a VOEvent') });
    const role = fixture('MS260103c-1-Preliminary.xml').replace('role="test"', 'role="bogus"');
    expect(parseVoEvent(role)).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('role "bogus"') });
    const far = fixture('MS260103c-1-Preliminary.xml').replace('value="1.2e-09"', 'value="lots"');
    expect(parseVoEvent(far)).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('FAR "lots"') });
  });
  it('does not expand DOCTYPE entities (a billion-laughs notice stays small and fails)', () => {
    let entities = '<!ENTITY a0 "lol">';
    for (let i = 1; i < 10; i++) entities += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
    const bomb = fixture('MS260103c-1-Preliminary.xml')
      .replace("<?xml version='1.0' encoding='UTF-8'?>", `<?xml version="1.0"?><!DOCTYPE voe:VOEvent [${entities}]>`)
      .replace('<Date>2026-01-03T22:10:31Z</Date>', '<Date>&a9;</Date>');
    const started = Date.now();
    expect(parseVoEvent(bomb)).toMatchObject({ kind: 'invalid', problem: 'Who/Date "&a9;" is not an ISO-8601 time' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('event ids and skymap names', () => {
  it('parses <GraceID>-<serial>-<Type> and refuses hostile ids', () => {
    expect(parseNoticeEventId('S250924di-2-Preliminary')).toEqual({ eventId: 'S250924di-2-Preliminary', graceId: 'S250924di', serial: 2, noticeType: 'Preliminary' });
    expect(parseNoticeEventId('G298048-1-Initial')).toMatchObject({ graceId: 'G298048' });
    for (const bad of ['..-1-Preliminary', 'S1/x-1-Initial', 'S250924di-2-Bogus', 'S250924di\n-2-Initial', '.S250924di-1-Initial', 'hello-1-Initial']) {
      expect(typeof parseNoticeEventId(bad)).toBe('string');
    }
  });

  it('knows the standard skymap names of 3.5.1 and O4', () => {
    for (const ok of ['bayestar.multiorder.fits', 'bayestar.fits.gz', 'LALInference.offline.fits.gz', 'cWB.fits.gz', 'Bilby.offline0.multiorder.fits', 'cwb.multiorder.fits', 'olib.multiorder.fits', 'mly.multiorder.fits']) {
      expect(isStandardSkymapName(ok)).toBe(true);
    }
    for (const bad of ['p_astro.json', 'bayestar.png', 'evil.fits', 'bayestar.multiorder.fits.png']) expect(isStandardSkymapName(bad)).toBe(false);
    expect(skymapFilenameFromUrl('https://gracedb.ligo.org/api/superevents/S1/files/bayestar.multiorder.fits,1')).toEqual({ filename: 'bayestar.multiorder.fits,1' });
    expect(skymapFilenameFromUrl('https://gracedb.ligo.org/api/superevents/S1/files/bayestar.multiorder.fits')).toHaveProperty('problem');
    expect(skymapFilenameFromUrl('https://x/files/..%2F..%2Fx,1')).toHaveProperty('problem');
  });
});

describe('parseLvkAlert', () => {
  it('reads a retraction and skips other missions', () => {
    expect(parseLvkAlert(fixture('S260105x-retraction.json'))).toEqual({
      kind: 'lvk', alert: { supereventId: 'S260105x', alertType: 'RETRACTION', timeCreated: '2026-01-05T10:01:58Z', event: undefined },
    });
    expect(parseLvkAlert(fixture('icecube-lvk-nu-track.json')).kind).toBe('not-lvk');
    expect(parseLvkAlert('{"uid": "../S1", "alert_type": "new", "object": {}}')).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('path separator') });
    expect(parseLvkAlert(JSON.stringify({ uid: 'S260105x', alert_type: 'label_added', data: { name: 'ADVOK', created: '2026-01-05 08:30:00 UTC' }, object: { superevent_id: 'S260105x', category: 'Production', labels: ['SKYMAP_READY'] } })))
      .toEqual({ kind: 'gracedb-message', message: { uid: 'S260105x', alertType: 'label_added', isSuperevent: true, labels: ['SKYMAP_READY', 'ADVOK'], labelAdded: 'ADVOK', category: 'Production', created: '2026-01-05 08:30:00 UTC' } });
    expect(parseLvkAlert('[1]')).toMatchObject({ kind: 'invalid' });
  });
});
