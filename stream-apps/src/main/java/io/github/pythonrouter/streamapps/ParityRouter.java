package io.github.pythonrouter.streamapps;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.util.MimeTypeUtils;

/**
 * The router ({@code router}), the Java peer of python-router: each record goes to the {@code even} or {@code odd}
 * route by the last digit of its payload, as "Even timestamp: v" / "Odd timestamp: v" (the recipe's texts).
 * Like SCDF's router sink, a route is mapped to a destination by {@code router.destination-mappings.<route>}
 * (unmapped: the route name is the destination), and the record is sent through Spring Cloud Stream's dynamic
 * destinations: the header {@code spring.cloud.stream.sendto.destination}. A payload whose last byte is not an
 * ASCII digit is an error: the binder retries it, logs it and moves on, as for any binder app.
 */
@Configuration(proxyBeanMethods = false)
public class ParityRouter {

	static final String SEND_TO = "spring.cloud.stream.sendto.destination";

	static final byte[] EVEN = "Even timestamp: ".getBytes(StandardCharsets.US_ASCII);

	static final byte[] ODD = "Odd timestamp: ".getBytes(StandardCharsets.US_ASCII);

	@ConfigurationProperties("router")
	public record RouterProperties(Map<String, String> destinationMappings) {
		public RouterProperties {
			destinationMappings = destinationMappings == null ? Map.of() : Map.copyOf(destinationMappings);
		}

		String destination(String route) {
			return this.destinationMappings.getOrDefault(route, route);
		}
	}

	@Bean
	public Function<Message<byte[]>, Message<byte[]>> router(RouterProperties properties) {
		String even = properties.destination("even");
		String odd = properties.destination("odd");
		return message -> {
			byte[] value = message.getPayload();
			int last = value.length == 0 ? -1 : value[value.length - 1];
			if (last < '0' || last > '9') {
				throw new IllegalArgumentException("Cannot route a record whose value does not end in a digit: "
						+ new String(value, StandardCharsets.UTF_8));
			}
			boolean isEven = (last - '0') % 2 == 0;
			byte[] prefix = isEven ? EVEN : ODD;
			byte[] routed = new byte[prefix.length + value.length];
			System.arraycopy(prefix, 0, routed, 0, prefix.length);
			System.arraycopy(value, 0, routed, prefix.length, value.length);
			return MessageBuilder.withPayload(routed)
				.setHeader(SEND_TO, isEven ? even : odd)
				.setHeader(MessageHeaders.CONTENT_TYPE, MimeTypeUtils.TEXT_PLAIN_VALUE)
				.build();
		};
	}

}
