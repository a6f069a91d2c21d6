package ttq.model.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a UTF-8 text file as lines ("\n" or "\r\n"), strictly: a byte sequence that is not UTF-8
 * is a {@link DataFormatException} naming the file, the line and the byte offset (the JDK's own
 * reader says only "Input length = 1"). A UTF-8 byte-order mark at the start is skipped; trailing
 * empty lines after the last line are not data and are dropped.
 */
public final class TextLines {
    private TextLines() {
    }

    /** The lines of {@code file}. */
    public static List<String> read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file + ": file not found");
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> lines = new ArrayList<>();
        int start = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
        for (int line = 1; start <= bytes.length; line++) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (end == bytes.length && start == end) {
                break; // the file ends in a newline (or is empty)
            }
            int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            try {
                lines.add(utf8.decode(ByteBuffer.wrap(bytes, start, stop - start)).toString());
            } catch (CharacterCodingException e) {
                int bad = firstBadByte(bytes, start, stop);
                throw new DataFormatException(String.format(java.util.Locale.ROOT,
                        "%s:%d: not UTF-8 text (byte 0x%02X at byte offset %d of the file, column %d of the line)", file, line,
                        bytes[bad] & 0xFF, bad, bad - start + 1));
            }
            start = end + 1;
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    /** Offset of the first byte of the first malformed sequence in [from, to) (the decoder stops there). */
    private static int firstBadByte(byte[] b, int from, int to) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, from, to - from);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(to - from + 1);
        java.nio.charset.CoderResult r = utf8.decode(in, out, true);
        return r.isError() ? in.position() : Math.max(from, to - 1);
    }
}
