import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { callApi as call, serviceTime as timeOf } from '../support/api-call.js';

// End to end: the trainings and users services from their production images,
// with their own Postgres databases, driven over HTTP only. They run in
// `make test` (docker-compose.yml starts them and sets these variables).
const trainingsUrl = process.env.E2E_TRAININGS_URL;
const usersUrl = process.env.E2E_USERS_URL;

/**
 * What time it is for the services: the trainings service's own clock. Tests
 * never read their own clock (test/unit/no-wall-clock.test.ts); the exact edges
 * of the time rules are tested a layer down, with a clock they control.
 */
const serviceTime = () => timeOf(trainingsUrl!);

/** Two days ahead at 12:00 UTC: bookable, and early enough for a refunded cancellation. */
async function hourInTwoDays(): Promise<string> {
  const d = new Date((await serviceTime()).getTime() + 2 * 24 * 3600_000);
  d.setUTCHours(12, 0, 0, 0);
  return d.toISOString();
}

/** The next bookable hour at least 5 minutes away (opening hours 6:00 to 20:00 UTC): always under 24 h ahead. */
async function nextBookableHour(): Promise<string> {
  const d = new Date((await serviceTime()).getTime() + 5 * 60_000);
  if (d.getUTCMinutes() || d.getUTCSeconds() || d.getUTCMilliseconds()) d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
  if (d.getUTCHours() > 20) d.setUTCDate(d.getUTCDate() + 1);
  if (d.getUTCHours() < 6 || d.getUTCHours() > 20) d.setUTCHours(6, 0, 0, 0);
  return d.toISOString();
}

describe('e2e: an attendee books and cancels a training', function () {
  before(function () {
    if (!trainingsUrl || !usersUrl) {
      console.log('    (e2e skipped: E2E_TRAININGS_URL and E2E_USERS_URL are not set; `make test` runs the services and sets them)');
      this.skip();
    }
  });

  // Fresh ids per test: the services' databases are shared by every e2e test.
  const attendee = () => ({ id: `attendee-${randomUUID()}`, role: 'attendee' });
  const trainer = () => ({ id: `trainer-${randomUUID()}`, role: 'trainer' });

  it('tops up, books (balance drops, training listed), cancels early (refunded)', async function () {
    const ann = attendee();
    const coach = trainer();
    const hour = await hourInTwoDays();

    expect((await call(usersUrl!, 'POST', `/users/${ann.id}/balance`, { change: 1 })).body).to.deep.equal({ id: ann.id, balance: 1 });
    expect((await call(trainingsUrl!, 'PUT', '/trainer/hours', { hours: [hour] }, coach)).status).to.equal(204);

    const booked = await call(trainingsUrl!, 'POST', '/trainings', { trainerId: coach.id, startsAt: hour, notes: 'e2e' }, ann);
    expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
    const listed = await call(trainingsUrl!, 'GET', '/trainings', undefined, ann);
    expect(listed.body.trainings.map((t: { id: string }) => t.id)).to.deep.equal([booked.body.training.id]);
    expect((await call(usersUrl!, 'GET', `/users/${ann.id}`)).body.balance).to.equal(0);

    const cancelled = await call(trainingsUrl!, 'DELETE', `/trainings/${booked.body.training.id}`, undefined, ann);
    expect(cancelled.body).to.deep.equal({ refunded: true });
    expect((await call(usersUrl!, 'GET', `/users/${ann.id}`)).body.balance).to.equal(1);
  });

  it("does not refund a late cancellation (the next bookable hour, under 24 h away by the services' clock)", async function () {
    const ann = attendee();
    const coach = trainer();
    const hour = await nextBookableHour();
    await call(usersUrl!, 'POST', `/users/${ann.id}/balance`, { change: 1 });
    expect((await call(trainingsUrl!, 'PUT', '/trainer/hours', { hours: [hour] }, coach)).status).to.equal(204);
    const booked = await call(trainingsUrl!, 'POST', '/trainings', { trainerId: coach.id, startsAt: hour, notes: 'late' }, ann);
    expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
    const cancelled = await call(trainingsUrl!, 'DELETE', `/trainings/${booked.body.training.id}`, undefined, ann);
    expect(cancelled.body).to.deep.equal({ refunded: false });
    expect((await call(usersUrl!, 'GET', `/users/${ann.id}`)).body.balance).to.equal(0);
  });

  it('refuses a booking without balance, across both services, and books nothing', async function () {
    const bob = attendee();
    const coach = trainer();
    const hour = await hourInTwoDays();
    await call(trainingsUrl!, 'PUT', '/trainer/hours', { hours: [hour] }, coach);

    const refused = await call(trainingsUrl!, 'POST', '/trainings', { trainerId: coach.id, startsAt: hour }, bob);
    expect(refused.status).to.equal(409);
    expect(refused.body.error.code).to.equal('insufficient-balance');
    expect((await call(trainingsUrl!, 'GET', '/trainings', undefined, bob)).body).to.deep.equal({ trainings: [] });
    const free = await call(
      trainingsUrl!,
      'GET',
      `/trainers/${coach.id}/hours?from=${(await serviceTime()).toISOString()}&to=2100-01-01T00:00:00Z`,
    );
    expect(free.body.hours).to.deep.equal([hour]);
  });
});
