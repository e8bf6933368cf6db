// The scenario viewer: two maps on one canvas, swipe between them, pan and zoom, hover to
// read the class or the value of a cell. Plain JS with no library and no network (file://
// works): the maps are embedded PNGs whose pixel value is the index of the class in the map's
// legend, or (maps of values) whose red and green bytes are the value quantised to 16 bits.
(function () {
  "use strict";
  var holder = document.getElementById("viewer");
  var source = document.getElementById("viewer-data");
  if (!holder || !source) return;
  var maps = JSON.parse(source.textContent);
  var NO_DATA = 255;
  var NO_VALUE = 65535;
  var canvas = holder.querySelector("canvas");
  var ctx = canvas.getContext("2d");
  var pickA = holder.querySelector("[name=map-a]");
  var pickB = holder.querySelector("[name=map-b]");
  var swipe = holder.querySelector("[name=swipe]");
  var readout = holder.querySelector(".readout");
  var legends = holder.querySelectorAll(".viewer-legend");
  var view = { scale: 1, x: 0, y: 0 };
  var loaded = 0;

  function hexRgb(hex) {
    var n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  maps.forEach(function (map, i) {
    [pickA, pickB].forEach(function (pick) {
      var option = document.createElement("option");
      option.value = String(i);
      option.textContent = map.title;
      pick.appendChild(option);
    });
    var image = new Image();
    image.onload = function () {
      var grey = document.createElement("canvas");
      grey.width = map.width;
      grey.height = map.height;
      var g = grey.getContext("2d");
      g.drawImage(image, 0, 0);
      var pixels = g.getImageData(0, 0, map.width, map.height);
      var values = map.kind === "values";
      map.index = values
        ? new Uint16Array(map.width * map.height)
        : new Uint8Array(map.width * map.height);
      var palette = (values ? map.ramp : map.colours).map(hexRgb);
      for (var p = 0; p < map.index.length; p++) {
        var k = values ? pixels.data[4 * p] * 256 + pixels.data[4 * p + 1] : pixels.data[4 * p];
        map.index[p] = k;
        var rgb = values ? rampColour(map, palette, k) : k === NO_DATA ? null : palette[k];
        pixels.data[4 * p] = rgb ? rgb[0] : 0;
        pixels.data[4 * p + 1] = rgb ? rgb[1] : 0;
        pixels.data[4 * p + 2] = rgb ? rgb[2] : 0;
        pixels.data[4 * p + 3] = rgb ? 255 : 0;
      }
      map.coloured = document.createElement("canvas");
      map.coloured.width = map.width;
      map.coloured.height = map.height;
      map.coloured.getContext("2d").putImageData(pixels, 0, 0);
      loaded += 1;
      if (loaded === maps.length) {
        reset();
        holder.dataset.ready = "true";
      }
    };
    image.src = map.png;
  });
  pickB.value = String(Math.min(1, maps.length - 1));

  function valueOf(map, k) {
    return map.low + k * map.scale;
  }

  // the colour of quantised value k on the map's ramp over its range (null: no data)
  function rampColour(map, palette, k) {
    if (k === NO_VALUE) return null;
    var span = map.range[1] - map.range[0];
    var t = span > 0 ? (valueOf(map, k) - map.range[0]) / span : 0.5;
    var x = Math.min(Math.max(t, 0), 1) * (palette.length - 1);
    var i = Math.min(Math.floor(x), palette.length - 2);
    var f = x - i;
    return [0, 1, 2].map(function (c) {
      return Math.round(palette[i][c] * (1 - f) + palette[i + 1][c] * f);
    });
  }

  function number(value) {
    return Number(value.toPrecision(4)).toLocaleString("en-US", { maximumFractionDigits: 12 });
  }

  function current() {
    return [maps[Number(pickA.value)], maps[Number(pickB.value)]];
  }

  function reset() {
    var first = current()[0];
    view.scale = Math.min(canvas.width / first.width, canvas.height / first.height);
    view.x = (canvas.width - first.width * view.scale) / 2;
    view.y = (canvas.height - first.height * view.scale) / 2;
    draw();
  }

  function draw() {
    var pair = current();
    var split = (canvas.width * Number(swipe.value)) / 100;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = false;
    [[pair[0], 0, split], [pair[1], split, canvas.width - split]].forEach(function (part) {
      if (!part[0].coloured || part[2] <= 0) return;
      ctx.save();
      ctx.beginPath();
      ctx.rect(part[1], 0, part[2], canvas.height);
      ctx.clip();
      // every map is drawn over the extent of the left one (same region, any decimation)
      var w = pair[0].width * view.scale;
      var h = pair[0].height * view.scale;
      ctx.drawImage(part[0].coloured, view.x, view.y, w, h);
      ctx.restore();
    });
    ctx.fillStyle = "#222";
    ctx.fillRect(split - 1, 0, 2, canvas.height);
    holder.dataset.left = pair[0].title;
    holder.dataset.right = pair[1].title;
    legends[0].replaceChildren(legend(pair[0]));
    legends[1].replaceChildren(legend(pair[1]));
  }

  function legend(map) {
    if (map.kind === "values") {
      var bar = document.createElement("div");
      var ramp = document.createElement("span");
      ramp.className = "ramp";
      ramp.style.background = "linear-gradient(to right, " + map.ramp.join(", ") + ")";
      bar.appendChild(document.createTextNode(number(map.range[0]) + " "));
      bar.appendChild(ramp);
      bar.appendChild(document.createTextNode(" " + number(map.range[1]) + " " + map.units));
      return bar;
    }
    var list = document.createElement("ul");
    map.names.forEach(function (name, k) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = map.colours[k];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(map.codes[k] + " " + name));
      list.appendChild(item);
    });
    return list;
  }

  function cellAt(px, py) {
    var pair = current();
    var map = px < (canvas.width * Number(swipe.value)) / 100 ? pair[0] : pair[1];
    var fx = (px - view.x) / (pair[0].width * view.scale);
    var fy = (py - view.y) / (pair[0].height * view.scale);
    if (!map.index || fx < 0 || fy < 0 || fx >= 1 || fy >= 1) return null;
    var col = Math.floor(fx * map.width);
    var row = Math.floor(fy * map.height);
    var k = map.index[row * map.width + col];
    var what;
    if (map.kind === "values") {
      what = k === NO_VALUE ? holder.dataset.nodata : number(valueOf(map, k)) + " " + map.units;
    } else {
      what = k === NO_DATA ? holder.dataset.nodata : map.codes[k] + " " + map.names[k];
    }
    return map.title + " · " + (row * map.step) + ", " + (col * map.step) + " · " + what;
  }

  function canvasPoint(event) {
    var box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) * canvas.width) / box.width,
      ((event.clientY - box.top) * canvas.height) / box.height,
    ];
  }

  var drag = null;
  canvas.addEventListener("mousedown", function (event) {
    drag = canvasPoint(event);
  });
  window.addEventListener("mouseup", function () {
    drag = null;
  });
  canvas.addEventListener("mousemove", function (event) {
    var point = canvasPoint(event);
    if (drag) {
      view.x += point[0] - drag[0];
      view.y += point[1] - drag[1];
      drag = point;
      draw();
    }
    var text = cellAt(point[0], point[1]);
    readout.textContent = text || "";
    holder.dataset.hover = text || "";
  });
  function zoom(factor, px, py) {
    view.x = px - (px - view.x) * factor;
    view.y = py - (py - view.y) * factor;
    view.scale *= factor;
    draw();
  }
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var point = canvasPoint(event);
    zoom(event.deltaY < 0 ? 1.25 : 0.8, point[0], point[1]);
  });
  holder.querySelector("[name=zoom-in]").addEventListener("click", function () {
    zoom(1.25, canvas.width / 2, canvas.height / 2);
  });
  holder.querySelector("[name=zoom-out]").addEventListener("click", function () {
    zoom(0.8, canvas.width / 2, canvas.height / 2);
  });
  holder.querySelector("[name=reset]").addEventListener("click", reset);
  holder.querySelector("[name=swap]").addEventListener("click", function () {
    var a = pickA.value;
    pickA.value = pickB.value;
    pickB.value = a;
    draw();
  });
  [pickA, pickB, swipe].forEach(function (control) {
    control.addEventListener("input", draw);
  });
})();
