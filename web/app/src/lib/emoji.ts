// The emoji picker's set: a few hundred common emoji, grouped. Hand-picked and small on
// purpose; these render on every current system font.
import type { MessageKey } from "../i18n/index.ts";

export interface EmojiGroup { id: string; label: MessageKey; emoji: string[] }

const split = (s: string): string[] => s.split(" ").filter(Boolean);

export const EMOJI_GROUPS: EmojiGroup[] = [
  { id: "smileys", label: "emoji.smileys", emoji: split("😀 😃 😄 😁 😆 😅 🤣 😂 🙂 😉 😊 😇 🥰 😍 🤩 😘 😋 😛 😜 🤪 😝 🤗 🤭 🤫 🤔 🤐 🤨 😐 😑 😶 😏 😒 🙄 😬 😌 😔 😪 😴 😷 🤒 🤕 🤢 🥵 🥶 😵 🤯 🤠 🥳 😎 🤓 🧐 😕 😟 🙁 😮 😯 😲 😳 🥺 😦 😧 😨 😰 😥 😢 😭 😱 😖 😣 😞 😓 😩 😫 🥱 😤 😡 😠 🤬 😈 💀 💩 🤡 👻 👽 🤖") },
  { id: "gestures", label: "emoji.gestures", emoji: split("👍 👎 👌 🤌 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ ✋ 🤚 🖐️ 🖖 👋 👏 🙌 👐 🤲 🤝 🙏 ✍️ 💪 🫡 🫶 👀 🧠 🙋 🙇 🤷 🤦 💁 🙆 🙅") },
  { id: "hearts", label: "emoji.hearts", emoji: split("❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 💯 💢 💥 💫 💦 💨 🔥 ✨ ⭐ 🌟") },
  { id: "nature", label: "emoji.nature", emoji: split("🐶 🐱 🐭 🐹 🐰 🦊 🐻 🐼 🐨 🐯 🦁 🐮 🐷 🐸 🐵 🐔 🐧 🐦 🐤 🦆 🦅 🦉 🐺 🐴 🦄 🐝 🦋 🐌 🐞 🐢 🐍 🐙 🐬 🐳 🌸 🌹 🌻 🌷 🌱 🌲 🍀 🍁 🌈 ☀️ 🌙 ☁️ ⛄ 🌊") },
  { id: "food", label: "emoji.food", emoji: split("🍎 🍊 🍋 🍌 🍉 🍇 🍓 🍑 🥭 🍍 🥝 🍅 🥑 🌽 🌶️ 🍞 🧀 🍳 🥓 🍔 🍟 🍕 🌭 🥪 🌮 🍜 🍲 🍣 🍱 🥟 🍚 🍙 🍘 🍥 🥮 🍡 🍦 🍰 🎂 🍫 🍬 🍭 🍩 🍪 ☕ 🍵 🧋 🍺 🍻 🥂 🍷") },
  { id: "activities", label: "emoji.activities", emoji: split("⚽ 🏀 🏈 ⚾ 🎾 🏐 🏓 🏸 🥊 🏆 🥇 🎯 🎮 🎲 🧩 🎨 🎬 🎤 🎧 🎵 🎶 🎹 🎸 🎉 🎊 🎈 🎁 🧧 🏮 🎆 🎇 🎄") },
  { id: "objects", label: "emoji.objects", emoji: split("💻 🖥️ ⌨️ 🖱️ 📱 ☎️ 📞 📷 🎥 📺 💡 🔦 📚 📖 📝 ✏️ 📌 📎 📅 📆 📊 📈 📉 🗂️ 📁 📦 📬 ✉️ 📧 🔒 🔓 🔑 🔨 🛠️ ⚙️ 🧪 💊 💰 💴 💳 ⏰ ⌛ 🚀 ✈️ 🚗 🚄 🏠 🏢") },
  { id: "symbols", label: "emoji.symbols", emoji: split("✅ ☑️ ✔️ ❌ ❎ ➕ ➖ ❓ ❗ ‼️ ⁉️ ⚠️ 🚫 ⛔ 🆗 🆕 🆒 🔝 🔴 🟠 🟡 🟢 🔵 🟣 ⚫ ⚪ ⬆️ ⬇️ ⬅️ ➡️ 🔄 🔁 ▶️ ⏸️ ⏹️ 🔔 🔕 💬 💭 🗯️ ♻️ 🈶 🈚 🉐 🈲") },
];

/** The quick choices of the reaction picker. */
export const QUICK_REACTIONS = split("👍 ❤️ 😂 🎉 😮 😢 🙏 👀");
