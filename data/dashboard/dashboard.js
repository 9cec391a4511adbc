// The dplaces dashboard: the system's status from GET /api/status, then
// live over the WebSocket at /api/events — lifecycle events and log lines
// as they happen, and the status every refresh-interval seconds, from
// which the message rates are computed. Plain JavaScript, no library.
'use strict';

const params = new URLSearchParams(window.location.search);
// Off loopback the control plane wants the cookie's token: open the
// dashboard as /?token=TOKEN.
const token = params.get('token');

const MAX_FEED = 200;

let previous = null;     // the last status, for rates
let rates = new Map();   // key → { in, out, bytesIn, bytesOut }

function authHeaders() {
  return token ? { 'Authorization': 'Bearer ' + token } : {};
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === 'class')
      node.className = value;
    else
      node.setAttribute(key, value);
  }
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(child === undefined || child === null ? '' : String(child)));
  return node;
}

function number(value) {
  return el('td', { class: 'number' }, value === undefined ? '' : value);
}

function formatRate(value) {
  if (value === undefined || value === null || !isFinite(value))
    return '–';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function formatBytes(value) {
  if (!value)
    return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return (i === 0 ? value.toFixed(0) : value.toFixed(1)) + ' ' + units[i];
}

function formatTime(seconds) {
  const date = new Date(seconds * 1000);
  return date.toLocaleTimeString();
}

function stateBadge(state) {
  return el('span', { class: 'state ' + state }, state);
}

function placeKey(place) {
  return 'place|' + place.node + '|' + place.name + '|' + (place.channel === undefined ? '' : place.channel);
}

function connectionKey(connection) {
  return 'connection|' + connection.node + '|' + connection.peer;
}

// Rates from two successive statuses.
function computeRates(status) {
  const next = new Map();
  if (previous) {
    const dt = status.time - previous.time;
    const before = new Map();
    for (const place of previous.places)
      before.set(placeKey(place), place);
    for (const connection of previous.connections)
      before.set(connectionKey(connection), connection);
    const rate = (key, now) => {
      const then = before.get(key);
      if (!then || dt <= 0)
        return null;
      return {
        in: Math.max(0, (now.messages_in - then.messages_in) / dt),
        out: Math.max(0, (now.messages_out - then.messages_out) / dt),
        bytesIn: Math.max(0, (now.bytes_in - then.bytes_in) / dt),
        bytesOut: Math.max(0, (now.bytes_out - then.bytes_out) / dt),
      };
    };
    for (const place of status.places) {
      const r = rate(placeKey(place), place);
      if (r)
        next.set(placeKey(place), r);
    }
    for (const connection of status.connections) {
      const r = rate(connectionKey(connection), connection);
      if (r)
        next.set(connectionKey(connection), r);
    }
  }
  previous = status;
  rates = next;
}

function fillTable(id, rows, emptyText, columns) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren();
  if (rows.length === 0) {
    body.append(el('tr', { class: 'empty' }, el('td', { colspan: String(columns) }, emptyText)));
    return;
  }
  for (const row of rows)
    body.append(row);
}

function render(status) {
  computeRates(status);

  document.getElementById('root-name').textContent = status.root || '';
  document.getElementById('updated').textContent = 'updated ' + formatTime(status.time);

  // Nodes, with the rates of the places they run.
  const nodeRates = new Map();
  for (const place of status.places) {
    const r = rates.get(placeKey(place));
    if (!r)
      continue;
    const sum = nodeRates.get(place.node) || { in: 0, out: 0 };
    sum.in += r.in;
    sum.out += r.out;
    nodeRates.set(place.node, sum);
  }
  let up = 0;
  fillTable('nodes', status.nodes.map((node) => {
    const state = node.answering ? 'up' : (node.alive ? 'not-answering' : 'down');
    if (node.answering)
      up++;
    const r = nodeRates.get(node.name);
    return el('tr', { class: 'node-row', 'data-node': node.name },
              el('td', null, node.name), el('td', null, node.address),
              number(node.pid || ''), el('td', null, stateBadge(state)),
              number(node.places), number(node.connections), number(node.restarts),
              number(formatRate(r && r.in)), number(formatRate(r && r.out)));
  }), 'no nodes', 9);

  // Places.
  let running = 0;
  let restarts = 0;
  let total = 0;
  fillTable('places', status.places.map((place) => {
    const r = rates.get(placeKey(place));
    if (place.state === 'running')
      running++;
    restarts += place.restarts || 0;
    if (r)
      total += r.in + r.out;
    return el('tr', { class: 'place-row', 'data-place': place.name, 'data-node': place.node },
              el('td', null, place.name), el('td', null, place.node),
              el('td', null, place.function), el('td', null, stateBadge(place.state)),
              number(place.restarts), number(formatRate(r && r.in)), number(formatRate(r && r.out)),
              number(place.messages_in), number(place.messages_out),
              number(formatBytes(place.bytes_in)), number(formatBytes(place.bytes_out)),
              number(place.queue));
  }), 'no places', 12);

  for (const node of status.nodes)
    restarts += node.restarts || 0;

  // Connections.
  fillTable('connections', status.connections.map((connection) => {
    const r = rates.get(connectionKey(connection));
    return el('tr', { class: 'connection-row' },
              el('td', null, connection.node), el('td', null, connection.peer),
              el('td', null, connection.transport),
              number(formatRate(r && r.in)), number(formatRate(r && r.out)),
              number(r ? formatBytes(r.bytesIn) + '/s' : '–'), number(r ? formatBytes(r.bytesOut) + '/s' : '–'),
              number(connection.channels), number(connection.queue));
  }), 'no connections', 9);

  // Jobs.
  fillTable('jobs', status.jobs.map((job) => {
    const fraction = job.total > 0 ? job.done / job.total : 0;
    return el('tr', { class: 'job-row' },
              el('td', null, job.name || job.id), el('td', null, job.framework), el('td', null, job.node),
              el('td', null, stateBadge(job.state)),
              el('td', null, el('span', { class: 'bar' }, el('div', { style: 'width:' + (100 * fraction).toFixed(1) + '%' })),
                 job.done + ' / ' + job.total));
  }), 'no jobs', 5);

  document.getElementById('count-nodes').textContent = up + ' / ' + status.nodes.length;
  document.getElementById('count-places').textContent = String(running);
  document.getElementById('count-restarts').textContent = String(restarts);
  document.getElementById('count-rate').textContent = previous && rates.size ? formatRate(total / 2) : '–';
}

function addFeedItem(listId, item, newestFirst) {
  const list = document.getElementById(listId);
  if (newestFirst)
    list.prepend(item);
  else
    list.append(item);
  while (list.children.length > MAX_FEED)
    list.removeChild(newestFirst ? list.lastChild : list.firstChild);
}

function describeEvent(event) {
  const parts = [];
  if (event.place)
    parts.push(event.place);
  if (event.node_name || event.node)
    parts.push('on ' + (event.node_name || event.node));
  if (event.restarts !== undefined)
    parts.push('restart ' + event.restarts);
  if (event.kind === 'channel-busy')
    parts.push('channel ' + event.channel + ' to ' + event.peer + ': its receiver is slow');
  if (event.reason)
    parts.push('— ' + event.reason);
  return parts.join(' ');
}

function showEvent(event) {
  addFeedItem('events', el('li', { class: 'kind-' + event.kind },
                           el('span', { class: 'time' }, formatTime(event.time)),
                           el('span', { class: 'kind' }, event.kind), describeEvent(event)), true);
}

function showLog(line) {
  addFeedItem('logs', el('li', { class: 'level-' + line.level },
                         el('span', { class: 'time' }, formatTime(line.time)),
                         el('span', { class: 'kind' }, line.level),
                         (line.domain ? line.domain + ': ' : '') + line.message), true);
}

async function getJSON(path) {
  const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  if (!response.ok)
    throw new Error(path + ': ' + response.status);
  return response.json();
}

async function loadOnce() {
  const [status, events, logs] = await Promise.all([
    getJSON('api/status'), getJSON('api/events'), getJSON('api/logs')]);
  render(status);
  for (const event of events.events)
    showEvent(event);
  for (const line of logs.logs)
    showLog(line);
}

function setLink(up, text) {
  const link = document.getElementById('link');
  link.className = 'link ' + (up ? 'up' : 'down');
  link.textContent = text;
}

let retryDelay = 1000;

function connect() {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = scheme + '//' + window.location.host + '/api/events';
  if (token)
    url += '?token=' + encodeURIComponent(token);

  const socket = new WebSocket(url);
  socket.onopen = () => {
    retryDelay = 1000;
    setLink(true, 'live');
  };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === 'status')
      render(event.status);
    else if (event.kind === 'log')
      showLog(event);
    else if (event.kind !== 'hello')
      showEvent(event);
  };
  socket.onclose = () => {
    setLink(false, 'reconnecting…');
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  };
}

loadOnce()
  .catch((error) => setLink(false, String(error.message || error)))
  .finally(connect);
