#!/usr/bin/env bash
# Regenerates every binary file of the demo site (examples/demo): images, fonts, favicon and
# video. The HTML, CSS and JS are written by hand; this script only explains the binaries.
#
# Why generated: the demo must look like a real photo site with realistic file sizes
# (~10 KB to ~1 MB, mixed JPEG/PNG/WebP, a web font, a short video) without shipping
# anyone's photos. Everything is drawn from seeds and formulas, so a rerun with the same
# tool versions gives the same files.
#
# Needs (Debian): imagemagick (6.9), ffmpeg (with libvpx-vp9 and drawtext), fonts-dejavu-core,
# fonttools + python3-brotli (pyftsubset writes WOFF2).
#   apt-get install -y imagemagick ffmpeg fonts-dejavu-core fonttools python3-brotli
#
# Usage: examples/demo-src/generate.sh   (from anywhere; writes into examples/demo)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/../demo"
FONT_DIR=/usr/share/fonts/truetype/dejavu
TITLE_FONT="$FONT_DIR/DejaVuSerif-Bold.ttf"
LABEL_FONT="$FONT_DIR/DejaVuSans.ttf"

for tool in convert ffmpeg pyftsubset; do
  command -v "$tool" >/dev/null || { echo "generate.sh: $tool is missing" >&2; exit 1; }
done

mkdir -p "$OUT/images" "$OUT/fonts" "$OUT/videos"
cd "$OUT"

# Strip metadata (timestamps, EXIF) so reruns produce identical bytes.
STRIP=(-strip -define png:exclude-chunk=date,time)

# ridge W H BASE AMP FREQ PHASE: a closed polygon of a hill line (a few sine harmonics give a
# natural-looking silhouette; no random numbers, so every awk gives the same points).
ridge() {
  awk -v w="$1" -v h="$2" -v base="$3" -v amp="$4" -v f="$5" -v ph="$6" 'BEGIN {
    printf "0,%d ", h
    for (x = 0; x <= w; x += 6) {
      t = x / w * 6.2832 * f
      y = base * h + amp * h * (0.55 * sin(t + ph) + 0.3 * sin(2.3 * t + 1.7 * ph) \
          + 0.15 * sin(7.1 * t + ph) + 0.05 * sin(23.7 * t))
      printf "%d,%d ", x, y
    }
    printf "%d,%d", w, h
  }'
}

# landscape OUT W H SKY_TOP SKY_BOTTOM SUN_X SUN_Y FAR MID NEAR PHASE GRAIN QUALITY
# A sky gradient, a soft sun, three ridges fading into haze, and film grain. The grain amount
# and the encoder quality set the file size.
landscape() {
  local out=$1 w=$2 h=$3 top=$4 bottom=$5 sx=$6 sy=$7 far=$8 mid=$9 near=${10} ph=${11}
  local grain=${12} quality=${13} r=$(($2 / 14))
  convert -size "${w}x${h}" "gradient:${top}-${bottom}" \
    \( -size "${w}x${h}" xc:none -fill '#fff6d8' -draw "circle $sx,$sy $((sx + r)),$sy" \
       -blur "0x$((r / 3))" \) -composite \
    -fill "$far" -draw "polygon $(ridge "$w" "$h" 0.55 0.08 1.3 "$ph")" -blur 0x3 \
    -fill "$mid" -draw "polygon $(ridge "$w" "$h" 0.68 0.07 2.1 "$((ph + 2))")" -blur 0x1 \
    -fill "$near" -draw "polygon $(ridge "$w" "$h" 0.82 0.06 3.4 "$((ph + 4))")" \
    -seed "$ph" -attenuate "$grain" +noise Gaussian \
    "${STRIP[@]}" -quality "$quality" "$out"
}

# --- Gallery photographs --------------------------------------------------------------------

landscape images/highlands-hero.jpg 1920 1080 '#f7c58f' '#6f93c4' 1400 330 \
  '#8fa3b8' '#50657a' '#26323d' 1 0.42 90
landscape images/fjord-morning.jpg 1280 853 '#cfe3f2' '#fbe6c9' 300 260 \
  '#9fb4c7' '#5f7d8c' '#2c4a48' 5 0.45 84
landscape images/dune-sea.webp 1280 853 '#f4d6a0' '#e89f62' 980 200 \
  '#e2b27a' '#c98b4e' '#9b5f2e' 3 0.3 76
landscape images/lighthouse-dusk.jpg 480 320 '#3c3b6e' '#f29e6d' 120 150 \
  '#6a5a7e' '#3d3552' '#1d1a2b' 8 0.3 74
# ... and its lighthouse: a striped tower on the near ridge, with a beam.
convert images/lighthouse-dusk.jpg \
  -fill 'rgba(255,244,200,0.35)' -draw 'polygon 372,118 480,70 480,150' \
  -fill '#f3efe6' -draw 'polygon 362,250 368,126 376,126 382,250' \
  -fill '#c8402f' -draw 'rectangle 364,160 380,178 rectangle 363,205 381,223' \
  -fill '#ffe9a8' -draw 'rectangle 366,112 378,126' -fill '#1d1a2b' -draw 'polygon 364,112 372,102 380,112' \
  "${STRIP[@]}" -quality 74 images/lighthouse-dusk.jpg

# Lavender rows: a landscape with converging purple stripes over the foreground.
convert images/fjord-morning.jpg -resize 960x640! \
  \( -size 960x260 xc:'#5d4a8a' -fill '#8a6cc4' \
     -draw "$(awk 'BEGIN { for (i = -12; i <= 12; i++) printf "polygon %d,0 %d,0 %d,260 %d,260 ", 480 + i * 12, 480 + i * 12 + 5, 480 + i * 90, 480 + i * 90 + 40 }')" \
     -blur 0x1.5 \) -geometry +0+380 -composite \
  -seed 11 -attenuate 0.35 +noise Gaussian "${STRIP[@]}" -quality 78 images/lavender-field.jpg

# Aurora: dark sky, a stretched and blurred plasma band screened over it, stars, mountains.
convert -size 1280x853 gradient:'#030814'-'#14304a' \
  \( -seed 21 -size 320x120 plasma:'#0f8f62'-'#3a1f8f' -resize 1280x500! -blur 0x18 \
     -background black -wave 40x900 -crop 1280x500+0+40 +repage \
     \( -size 1280x500 gradient:black-white -function Sinusoid 1,-90 \) \
     -compose multiply -composite \) -geometry +0+60 -compose screen -composite \
  \( -size 1280x853 xc:black -seed 22 -attenuate 0.07 +noise Impulse -threshold 60% \) \
  -compose lighten -composite -compose over \
  -fill '#05080c' -draw "polygon $(ridge 1280 853 0.78 0.09 1.7 2)" \
  -seed 23 -attenuate 0.35 +noise Gaussian "${STRIP[@]}" -quality 82 images/aurora-night.jpg

# Tide pools: a plasma fractal, lossless, so it is the heavy PNG of the set.
convert -seed 31 -size 512x341 plasma:'#0f5e6e'-'#e8c07a' -blur 0x0.6 \
  "${STRIP[@]}" images/tide-pools.png

# Old town at night: rows of buildings with lit windows under a moon.
convert -size 1200x800 gradient:'#0b1030'-'#3a2c5a' \
  -fill '#f4eed0' -draw 'circle 930,150 975,150' \
  -fill '#1a1626' -draw "$(awk 'BEGIN {
      x = 0; i = 0
      while (x < 1200) {
        bw = 70 + (i * 37) % 80; top = 330 + (i * 53) % 220
        printf "rectangle %d,%d %d,800 ", x, top, x + bw - 4
        x += bw; i++
      }
    }')" \
  -fill '#ffc96b' -draw "$(awk 'BEGIN {
      x = 0; i = 0
      while (x < 1200) {
        bw = 70 + (i * 37) % 80; top = 330 + (i * 53) % 220
        for (wy = top + 20; wy < 760; wy += 34)
          for (wx = x + 10; wx < x + bw - 20; wx += 22)
            if ((wx * 7 + wy * 13 + i) % 5 < 2) printf "rectangle %d,%d %d,%d ", wx, wy, wx + 9, wy + 14
        x += bw; i++
      }
    }')" \
  -seed 41 -attenuate 0.25 +noise Gaussian "${STRIP[@]}" -quality 80 images/old-town-night.jpg

# Forest in mist: blurred green noise, tree silhouettes, then a fog gradient on top.
convert -size 1200x800 xc:'#35573f' -seed 51 -attenuate 2 +noise Random -blur 0x6 \
  -modulate 100,60 \
  -fill '#1c2e22' -draw "$(awk 'BEGIN {
      for (i = 0; i < 40; i++) {
        x = (i * 173) % 1240 - 20; base = 520 + (i * 71) % 280; s = 50 + (i * 29) % 90
        printf "polygon %d,%d %d,%d %d,%d ", x, base - 3 * s, x - s, base, x + s, base
      }
    }')" \
  \( -size 1200x800 gradient:'rgba(235,240,236,0.85)'-'rgba(235,240,236,0.05)' \) -composite \
  "${STRIP[@]}" -quality 82 images/forest-mist.webp

# Glacier ice: cool plasma, blurred, with a few dark crevasse lines.
convert -seed 61 -size 960x640 plasma:'#e6f6ff'-'#3f86b8' -blur 0x2 \
  -stroke '#1d4564' -strokewidth 2 -fill none \
  -draw "$(awk 'BEGIN { for (i = 0; i < 9; i++) printf "line %d,%d %d,%d ", 80 + i * 100, 640, 140 + i * 90, 330 + (i * 47) % 120 }')" \
  "${STRIP[@]}" -quality 85 images/glacier-ice.webp

# Market textiles: a saturated plasma woven with a stripe pattern; detailed, so a big JPEG.
convert -seed 71 -size 800x800 plasma:fractal -modulate 100,170 \
  \( -size 800x800 pattern:vertical2 -negate -blur 0x1 \) -compose multiply -composite \
  "${STRIP[@]}" -quality 92 images/market-textiles.jpg

# Harbour: water gradient, hulls and sails, with blurred reflections.
convert -size 800x533 gradient:'#9cc3df'-'#1d4f73' \
  -fill '#e8e2d0' -draw "$(awk 'BEGIN {
      for (i = 0; i < 7; i++) {
        x = 60 + i * 105; y = 300 + (i * 37) % 90
        printf "polygon %d,%d %d,%d %d,%d ", x + 30, y - 120 + (i % 3) * 20, x + 30, y, x + 85, y
      }
    }')" \
  -fill '#7a2e22' -draw "$(awk 'BEGIN {
      for (i = 0; i < 7; i++) {
        x = 60 + i * 105; y = 300 + (i * 37) % 90
        printf "polygon %d,%d %d,%d %d,%d %d,%d ", x, y, x + 100, y, x + 88, y + 22, x + 12, y + 22
      }
    }')" \
  \( +clone -crop 800x160+0+373 +repage -flip -blur 0x4 -evaluate multiply 0.8 \) \
  -geometry +0+430 -compose soft-light -composite \
  -seed 81 -attenuate 0.3 +noise Gaussian "${STRIP[@]}" -quality 70 images/harbour-boats.jpg

# Route map: few flat colours, so an 8-bit PNG, as a real illustrated map would be.
convert -size 900x600 xc:'#efe6d2' \
  -fill '#b9d3dc' -draw "polygon $(ridge 900 600 0.62 0.14 1.4 3)" \
  -stroke '#b0412e' -strokewidth 4 -fill none \
  -draw 'polyline 90,120 210,180 330,160 420,260 560,240 650,330 790,300' \
  -stroke none -fill '#b0412e' \
  -draw 'circle 90,120 98,120 circle 330,160 338,160 circle 560,240 568,240 circle 790,300 798,300' \
  -font "$LABEL_FONT" -pointsize 20 -fill '#3a3226' \
  -annotate +104+114 'Ålesund' -annotate +344+154 'Geiranger' \
  -annotate +574+234 'Lom' -annotate +700+340 'Lillehammer' \
  -font "$TITLE_FONT" -pointsize 30 -annotate +40+560 'Northbound · the route' \
  -colors 16 "${STRIP[@]}" PNG8:images/route-map.png

# Postcard stamp: perforated edge, a tiny drawn mountain, few colours.
convert -size 240x240 xc:'#f8f1e3' \
  -fill '#d9463b' -draw 'rectangle 18,18 222,222' \
  -fill '#f8f1e3' -draw "$(awk 'BEGIN { for (i = 0; i <= 12; i++) { p = 10 + i * 18.3; printf "circle %d,4 %d,11 circle %d,236 %d,243 circle 4,%d 11,%d circle 236,%d 243,%d ", p, p, p, p, p, p, p, p } }')" \
  -fill '#fbe7c6' -draw 'rectangle 30,30 210,210' \
  -fill '#3b5f7a' -draw 'polygon 30,210 95,95 140,160 170,120 210,180 210,210' \
  -fill '#ffffff' -draw 'polygon 95,95 80,122 110,122' \
  -font "$TITLE_FONT" -pointsize 22 -fill '#d9463b' -annotate +48+62 'NORGE 12' \
  -colors 12 "${STRIP[@]}" PNG8:images/postcard-stamp.png

# About page portrait: head-and-shoulders silhouette against bokeh.
convert -size 480x480 gradient:'#d98f5f'-'#6b3f5e' \
  -fill 'rgba(255,230,190,0.35)' \
  -draw 'circle 80,90 120,90 circle 400,60 430,60 circle 360,300 395,300 circle 60,380 85,380' \
  -blur 0x10 \
  -fill '#2a1d24' -draw 'circle 240,200 240,285 ellipse 240,480 150,120 180,360' \
  -seed 91 -attenuate 0.3 +noise Gaussian "${STRIP[@]}" -quality 75 images/author-portrait.jpg

# CSS background: a small tile of paper grain.
convert -size 160x160 xc:'#f6f0e4' -seed 101 -attenuate 0.12 +noise Gaussian \
  -colors 24 "${STRIP[@]}" PNG8:images/paper-grain.png

# Favicon: a compass needle.
convert -size 64x64 xc:none -fill '#1f3b4d' -draw 'circle 32,32 32,2' \
  -fill '#d9463b' -draw 'polygon 32,8 40,32 24,32' -fill '#f8f1e3' -draw 'polygon 32,56 40,32 24,32' \
  -define icon:auto-resize=32,16 "${STRIP[@]}" favicon.ico

# --- Web fonts: DejaVu subset to Latin-1 and common punctuation, as WOFF2 --------------------

UNICODES='U+0020-007E,U+00A0-00FF,U+2013-2014,U+2018-201D,U+2022,U+2026,U+2192'
for face in DejaVuSerif DejaVuSerif-Italic DejaVuSans-Bold; do
  name=$(echo "$face" | tr '[:upper:]' '[:lower:]')
  pyftsubset "$FONT_DIR/$face.ttf" --unicodes="$UNICODES" --layout-features='kern,liga' \
    --flavor=woff2 --drop-tables+=FFTM --no-hinting --desubroutinize --output-file="fonts/$name-latin.woff2"
done

# --- Video: a 15 s fractal "time-lapse" with a title, VP9 in WebM ----------------------------
# 1000 kb/s keeps the file under 2 MiB (the repository keeps no file larger).

VIDEO=videos/northbound-timelapse.webm
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i 'mandelbrot=size=640x360:rate=24:start_scale=3:end_scale=0.02:inner=period' \
  -t 15 \
  -vf "drawtext=fontfile=$TITLE_FONT:text='Northbound':fontsize=48:fontcolor=white:x=(w-tw)/2:y=h*0.38:alpha='if(lt(t,3),1,max(0,1-(t-3)))',drawtext=fontfile=$LABEL_FONT:text='Ålesund to Lillehammer in fifteen seconds':fontsize=20:fontcolor=white:x=(w-tw)/2:y=h*0.55:alpha='if(lt(t,3),1,max(0,1-(t-3)))',format=yuv420p" \
  -c:v libvpx-vp9 -b:v 1000k -deadline good -cpu-used 2 -row-mt 0 -threads 1 -g 48 \
  -an -bitexact -map_metadata -1 "$VIDEO"

# The poster is the first frame, so the page shows the title before the video loads.
ffmpeg -hide_banner -loglevel error -y -i "$VIDEO" -frames:v 1 -bitexact -f image2pipe -c:v png - \
  | convert png:- "${STRIP[@]}" -quality 80 videos/northbound-poster.jpg

du -ab images fonts videos favicon.ico | sort -k2
du -sb --exclude='*.html' --exclude=css --exclude=js . | tail -1
